package fstest

import (
	"strconv"
	"time"
)

// callSite is where in FreeSWITCH's source an event is fired (Event-Calling-* headers).
type callSite struct {
	file, function string
	line           int
}

var (
	siteExecute         = callSite{"switch_core_session.c", "switch_core_session_exec", 2944}
	siteExecuteComplete = callSite{"switch_core_session.c", "switch_core_session_exec", 2967}
	siteAnswer          = callSite{"switch_channel.c", "switch_channel_perform_mark_answered", 3846}
	siteProgress        = callSite{"switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505}
	siteProgressMedia   = callSite{"switch_channel.c", "switch_channel_perform_mark_pre_answered", 3560}
	siteDTMF            = callSite{"switch_channel.c", "switch_channel_dequeue_dtmf", 677}
	siteHangup          = callSite{"switch_channel.c", "switch_channel_perform_hangup", 3445}
	siteState           = callSite{"switch_channel.c", "switch_channel_perform_set_running_state", 2408}
	siteCallState       = callSite{"switch_channel.c", "switch_channel_perform_set_callstate", 301}
	siteHangupComplete  = callSite{"switch_core_state_machine.c", "switch_core_session_reporting_state", 943}
	siteDestroy         = callSite{"switch_core_session.c", "switch_core_session_perform_destroy", 1584}
	siteCreate          = callSite{"switch_core_state_machine.c", "switch_core_session_run", 626}
	siteOriginate       = callSite{"switch_core_state_machine.c", "switch_core_session_run", 632}
	siteOutgoing        = callSite{"switch_core_session.c", "switch_core_session_outgoing_channel", 768}
	sitePark            = callSite{"switch_ivr.c", "switch_ivr_park", 1002}
	siteUnpark          = callSite{"switch_ivr.c", "switch_ivr_park", 1213}
	siteBridge          = callSite{"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689}
	siteUnbridge        = callSite{"switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879}
	sitePlaybackStart   = callSite{"switch_ivr_play_say.c", "switch_ivr_play_file", 1646}
	sitePlaybackStop    = callSite{"switch_ivr_play_say.c", "switch_ivr_play_file", 2020}
	siteRecordStart     = callSite{"switch_ivr_async.c", "record_callback", 1481}
	siteRecordStop      = callSite{"switch_ivr_async.c", "send_record_stop_event", 1240}
	siteBackgroundJob   = callSite{"mod_event_socket.c", "api_exec", 1572}
	siteChannelData     = callSite{"mod_event_socket.c", "parse_command", 2021}
	siteAPI             = callSite{"switch_loadable_module.c", "switch_api_execute", 2954}
	siteHeartbeat       = callSite{"switch_core.c", "send_heartbeat", 95}
	siteShutdown        = callSite{"switch_core.c", "switch_core_destroy", 3023}
	siteCustom          = callSite{"switch_event.c", "switch_event_fire_detailed", 2000}
)

// newEvent starts an event with FreeSWITCH's core headers; the date and Event-Sequence are
// filled in when it is fired.
func (s *Server) newEvent(name string, site callSite) *Event {
	e := &Event{Headers: make([]Header, 0, 160)}
	e.add("Event-Name", name)
	e.add("Core-UUID", s.coreUUID)
	e.add("FreeSWITCH-Hostname", s.hostname)
	e.add("FreeSWITCH-Switchname", s.hostname)
	e.add("FreeSWITCH-IPv4", s.ipv4)
	e.add("FreeSWITCH-IPv6", s.ipv6)
	e.add("Event-Date-Local", "")
	e.add("Event-Date-GMT", "")
	e.add("Event-Date-Timestamp", "")
	e.add("Event-Calling-File", site.file)
	e.add("Event-Calling-Function", site.function)
	e.add("Event-Calling-Line-Number", strconv.Itoa(site.line))
	e.add("Event-Sequence", "")
	return e
}

// stampEvent fills the date headers and the sequence number.
func stampEvent(e *Event, now time.Time, seq uint64) {
	if len(e.Headers) < 13 || e.Headers[6].Name != "Event-Date-Local" {
		return
	}
	e.Headers[6].Value = now.Local().Format("2006-01-02 15:04:05")
	e.Headers[7].Value = now.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	e.Headers[8].Value = strconv.FormatInt(now.UnixMicro(), 10)
	e.Headers[12].Value = strconv.FormatUint(seq, 10)
}
