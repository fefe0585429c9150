package ivr

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/ivr/expr"
)

// lintBundle is what the flow-language tests check flows against: a catalog with one
// calendar, three queues, two SMS templates, and a sound file next to the flow.
type lintBundle struct {
	cat  *Catalog
	fsys fstest.MapFS
}

func newLintBundle(t *testing.T) *lintBundle {
	t.Helper()
	cal, err := ParseCalendar("bank", []byte("timezone: Europe/London\nhours:\n  mon-fri: 08:00-20:00\n"))
	require.NoError(t, err)
	return &lintBundle{
		cat: &Catalog{
			Calendars: map[string]*Calendar{"bank": cal},
			Queues:    NameSet("general", "cards", "loans"),
			Templates: NameSet("card_services", "after_hours"),
			Flows:     NameSet("verify_pin"),
		},
		fsys: fstest.MapFS{
			"sounds/welcome.wav": {Data: testWAV(8000, 2*time.Second)},
		},
	}
}

// parse parses src as the file t.yaml.
func (b *lintBundle) parse(src string) (*Flow, Diagnostics) {
	return parseFlowData("t.yaml", []byte(src), b.fsys, ".", "", b.cat)
}

func (b *lintBundle) mustParse(t *testing.T, src string) *Flow {
	t.Helper()
	f, ds := b.parse(src)
	require.False(t, ds.HasErrors(), "unexpected errors:\n%v", ds.Err())
	require.NotNil(t, f)
	return f
}

// testWAV is a mono 16-bit PCM WAV header for d of audio at rate (the data is zeros).
func testWAV(rate int, d time.Duration) []byte {
	size := int(d.Seconds() * float64(rate) * 2)
	le32 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	le16 := func(v int) []byte { return []byte{byte(v), byte(v >> 8)} }
	var b []byte
	b = append(b, "RIFF"...)
	b = append(b, le32(36+size)...)
	b = append(b, "WAVEfmt "...)
	b = append(b, le32(16)...)
	b = append(b, le16(1)...)
	b = append(b, le16(1)...)
	b = append(b, le32(rate)...)
	b = append(b, le32(rate*2)...)
	b = append(b, le16(2)...)
	b = append(b, le16(16)...)
	b = append(b, "data"...)
	b = append(b, le32(size)...)
	return append(b, make([]byte, size)...)
}

// allKinds uses every step kind, most in long and short form.
const allKinds = `
flow: every_kind
version: "2026-11-24"
languages: [en, zh]
default_language: en
timezone: Europe/London
vars:
  tries: 0
  vip: false
  name: ""
prompts:
  welcome:
    en: sounds/welcome.wav
    zh: "欢迎"
  menu:
    en: [{say: "Press 1", lang: en}, {silence: 1s}, "tone_stream://%(200,100,440);loops=2"]
    zh: "请按 1"
  read_back:
    en: "You entered {{vars.acct | digits}}"
    zh: "您输入的是 {{vars.acct | digits}}"
holds:
  standard:
    music: local_stream://moh
    announce: welcome
    announce_every: 30s
    announce_position: true
    announce_wait: true
    promos: [welcome, menu]
    promo_every: 20s
    keys: {1: cb, 2: text}
steps:
  start:
    play: welcome
    next: pick
  pick:
    language:
      prompt: menu
      options: {1: en, 2: zh}
      tries: 2
    next: set_zh
  set_zh:
    language: zh
    next: main
  main:
    tag: main_menu
    menu:
      prompt: [menu, welcome]
      options: {1: acct, "2": vipcheck, "*": main, "#": bye, 0: agent}
      timeout: 6s
      digit_timeout: 1500ms
      tries: 4
      invalid_prompt: menu
      timeout_prompt: welcome
      barge_in: false
      on_fail: agent
  acct:
    input:
      prompt: menu
      into: acct
      min: 4
      max: 8
      terminator: "*"
      regex: "[0-9]+"
      confirm: read_back
      confirm_yes: "1"
      confirm_no: "3"
      on_fail: agent
    next: count
  count:
    set:
      tries: "{{vars.tries + 1}}"
      name: Ann
      vip: true
      n: 5
    next: vipcheck
  vipcheck:
    if: vars.vip == true and vars.tries < 3
    then: route
    else: agent
  route:
    switch:
      - when: caller.number startswith "+44"
        goto: hours
      - when: now.weekday in ["sat", "sun"]
        goto: bye
    else: lookup
  hours:
    hours: bank
    open: lookup
    closed: bye
    holiday: cb
  lookup:
    lookup:
      method: POST
      url: "https://crm.example/api?n={{caller.number | urlquery}}"
      headers: {X-Caller: "{{caller.number}}"}
      body: {number: "{{caller.number}}", tries: "{{vars.tries}}", tags: [a, 1, true], fixed: 2}
      timeout: 2s
      save: {vip: customer.vip, first: "customers[0].name"}
      on_error: agent
    next: rec
  rec:
    record: start
    next: rec2
  rec2:
    record: {action: stop, mode: bridge, stereo: false}
    next: sub
  sub:
    call: verify_pin
    next: agent
  agent:
    queue:
      name: general
      priority: if(vars.vip, 10, 0)
      hold: standard
      max_wait: 5m
      on_timeout: cb
  cards:
    queue: cards
  inline_hold:
    queue: {name: loans, hold: {music: local_stream://moh, keys: {"9": bye}}}
  xfer:
    transfer: user/1001
  xfer2:
    transfer: {to: "+15551234567", caller_id: "{{call.called}}", timeout: 20s, on_fail: bye}
  cb:
    callback: {number: "{{caller.number}}", reason: "loan", queue: loans, calendar: bank, on_error: bye}
    next: text
  cb2:
    callback:
    next: bye
  text:
    sms: card_services
    next: text2
  text2:
    sms: {text: "Hi {{vars.name}}", to: "{{caller.number}}", vars: {x: "{{vars.tries}}"}, on_error: bye}
    next: bye
  sub_end:
    return:
  jump:
    goto: main
  bye:
    hangup:
  busy:
    hangup: USER_BUSY
`

func TestEveryStepKindParses(t *testing.T) {
	t.Parallel()
	b := newLintBundle(t)
	f := b.mustParse(t, allKinds)
	s := f.ByName
	require.Equal(t, "every_kind", f.Name)
	require.Equal(t, "2026-11-24", f.Version)
	require.Equal(t, []string{"en", "zh"}, f.Languages)
	require.Equal(t, "Europe/London", f.Location.String())
	require.Equal(t, s["start"], f.Start)
	require.Equal(t, expr.NumberValue(0), f.Vars["tries"])
	require.Len(t, f.Steps, len(s))
	for i, st := range f.Steps {
		require.Equal(t, i, st.Index)
	}

	kinds := map[Kind]bool{}
	for _, st := range f.Steps {
		kinds[st.Kind] = true
	}
	for _, k := range Kinds {
		require.True(t, kinds[k], "kind %s is not covered", k)
	}

	t.Run("play resolves prompts and files", func(t *testing.T) {
		a := s["start"].Play.Audio
		require.Len(t, a, 1)
		require.Equal(t, AudioPrompt, a[0].Kind)
		en := a[0].Prompt.For("en")
		require.Equal(t, AudioFile, en[0].Kind)
		require.Equal(t, "sounds/welcome.wav", en[0].Path)
		require.Equal(t, 2*time.Second, en[0].Duration, "duration from the WAV header")
		require.Equal(t, AudioSay, a[0].Prompt.For("zh")[0].Kind)
		require.Equal(t, en, a[0].Prompt.For("fr"), "unknown languages fall back to the default")
		menu := f.Prompts["menu"].ByLang["en"]
		require.Equal(t, "en", menu[0].Lang)
		require.Equal(t, AudioSilence, menu[1].Kind)
		require.Equal(t, time.Second, menu[1].Silence)
		require.Equal(t, AudioURL, menu[2].Kind)
		require.Equal(t, 600*time.Millisecond, menu[2].Duration, "tone (200+100 ms) x 2 loops")
		require.Equal(t, s["pick"], s["start"].Next)
	})
	t.Run("language", func(t *testing.T) {
		l := s["pick"].Language
		require.Equal(t, []DigitChoice{{Digits: "1", Pos: l.Options[0].Pos, Lang: "en"}, {Digits: "2", Pos: l.Options[1].Pos, Lang: "zh"}}, l.Options)
		require.Equal(t, 2, l.Tries)
		require.Equal(t, DefaultMenuTimeout, l.Timeout)
		require.Equal(t, "zh", s["set_zh"].Language.Set)
	})
	t.Run("menu", func(t *testing.T) {
		m := s["main"].Menu
		require.Equal(t, "main_menu", s["main"].Tag)
		require.Len(t, m.Prompt, 2)
		require.Equal(t, 6*time.Second, m.Timeout)
		require.Equal(t, 1500*time.Millisecond, m.DigitTimeout)
		require.Equal(t, 4, m.Tries)
		require.False(t, m.BargeIn)
		require.Len(t, m.InvalidPrompt, 1)
		require.Len(t, m.TimeoutPrompt, 1)
		require.Equal(t, s["agent"], m.OnFail)
		got := map[string]string{}
		for _, o := range m.Options {
			got[o.Digits] = o.Step.Name
		}
		require.Equal(t, map[string]string{"1": "acct", "2": "vipcheck", "*": "main", "#": "bye", "0": "agent"}, got)
		require.Equal(t, 1, m.MaxDigits)
		require.Nil(t, s["main"].Next)
	})
	t.Run("input", func(t *testing.T) {
		in := s["acct"].Input
		require.Equal(t, "acct", in.Into)
		require.Equal(t, 4, in.Min)
		require.Equal(t, 8, in.Max)
		require.Equal(t, "*", in.Terminator)
		require.True(t, in.Regex.MatchString("1234"))
		require.False(t, in.Regex.MatchString("12a4"), "the regex must match the whole entry")
		require.Equal(t, "1", in.Confirm.Yes)
		require.Equal(t, "3", in.Confirm.No)
		require.Equal(t, "read_back", in.Confirm.Prompt[0].Prompt.Key)
		require.Equal(t, s["agent"], in.OnFail)
		require.Equal(t, DefaultTries, in.Tries)
	})
	t.Run("set keeps types", func(t *testing.T) {
		as := s["count"].Set.Assign
		require.Equal(t, []string{"tries", "name", "vip", "n"}, []string{as[0].Var, as[1].Var, as[2].Var, as[3].Var})
		env := expr.MapEnv{"vars": {"tries": expr.NumberValue(2)}}
		v, err := as[0].Value.Value(env)
		require.NoError(t, err)
		require.Equal(t, expr.NumberValue(3), v)
		v, _ = as[1].Value.Value(env)
		require.Equal(t, expr.StringValue("Ann"), v)
		v, _ = as[2].Value.Value(env)
		require.Equal(t, expr.BoolValue(true), v)
		v, _ = as[3].Value.Value(env)
		require.Equal(t, expr.NumberValue(5), v)
	})
	t.Run("if and switch", func(t *testing.T) {
		i := s["vipcheck"].If
		require.Equal(t, "vars.vip == true and vars.tries < 3", i.Cond.String())
		require.Equal(t, s["route"], i.Then)
		require.Equal(t, s["agent"], i.Else)
		sw := s["route"].Switch
		require.Len(t, sw.Cases, 2)
		require.Equal(t, s["hours"], sw.Cases[0].Step)
		require.Equal(t, s["bye"], sw.Cases[1].Step)
		require.Equal(t, s["lookup"], sw.Else)
	})
	t.Run("hours", func(t *testing.T) {
		h := s["hours"].Hours
		require.Equal(t, "bank", h.CalendarName)
		require.Same(t, b.cat.Calendars["bank"], h.Calendar)
		require.Equal(t, s["lookup"], h.Open)
		require.Equal(t, s["bye"], h.Closed)
		require.Equal(t, s["cb"], h.Holiday)
	})
	t.Run("lookup", func(t *testing.T) {
		l := s["lookup"].Lookup
		require.Equal(t, "POST", l.Method)
		require.Equal(t, 2*time.Second, l.Timeout)
		env := expr.MapEnv{"caller": {"number": expr.StringValue("+44 1")}, "vars": {"tries": expr.NumberValue(2)}}
		u, err := l.URL.Render(env)
		require.NoError(t, err)
		require.Equal(t, "https://crm.example/api?n=%2B44+1", u)
		body, err := l.Body.Render(env)
		require.NoError(t, err)
		require.JSONEq(t, `{"number":"+44 1","tries":2,"tags":["a",1,true],"fixed":2}`, string(body))
		h, err := l.Headers["X-Caller"].Render(env)
		require.NoError(t, err)
		require.Equal(t, "+44 1", h)
		require.Equal(t, "vip", l.Save[0].Var)
		doc := map[string]any{"customer": map[string]any{"vip": true}, "customers": []any{map[string]any{"name": "Ann"}}}
		v, ok := l.Save[0].Path.Get(doc)
		require.True(t, ok)
		require.Equal(t, true, v)
		v, ok = l.Save[1].Path.Get(doc)
		require.True(t, ok)
		require.Equal(t, "Ann", v)
		require.Equal(t, s["agent"], l.OnError)
	})
	t.Run("record", func(t *testing.T) {
		require.Equal(t, &RecordStep{Mode: RecordWhole, Stereo: true}, s["rec"].Record)
		require.Equal(t, &RecordStep{Stop: true, Mode: RecordBridge, Stereo: false}, s["rec2"].Record)
	})
	t.Run("call, return, goto, hangup", func(t *testing.T) {
		require.Equal(t, "verify_pin", s["sub"].Call.FlowName)
		require.NotNil(t, s["sub_end"].Return)
		require.Equal(t, s["main"], s["jump"].Goto.Target)
		require.Equal(t, DefaultHangupCause, s["bye"].Hangup.Cause)
		require.Equal(t, "USER_BUSY", s["busy"].Hangup.Cause)
	})
	t.Run("queue and holds", func(t *testing.T) {
		q := s["agent"].Queue
		require.Equal(t, "general", q.Name)
		require.Equal(t, "standard", q.HoldName)
		require.Same(t, f.Holds["standard"], q.Hold)
		require.Equal(t, 5*time.Minute, q.MaxWait)
		require.Equal(t, s["cb"], q.OnTimeout)
		v, err := q.Priority.Eval(expr.MapEnv{"vars": {"vip": expr.BoolValue(true)}})
		require.NoError(t, err)
		require.Equal(t, "10", v.String())
		h := q.Hold
		require.Equal(t, 30*time.Second, h.AnnounceEvery)
		require.True(t, h.AnnouncePosition)
		require.True(t, h.AnnounceWait)
		require.Len(t, h.Promos, 2)
		require.Equal(t, 20*time.Second, h.PromoEvery)
		require.Equal(t, s["cb"], h.Keys[0].Step)
		require.Equal(t, "cards", s["cards"].Queue.Name)
		require.Nil(t, s["cards"].Queue.Hold)
		inline := s["inline_hold"].Queue.Hold
		require.Equal(t, "", inline.Name)
		require.Equal(t, s["bye"], inline.Keys[0].Step)
		require.Equal(t, 60*time.Second, inline.AnnounceEvery, "default")
	})
	t.Run("transfer", func(t *testing.T) {
		require.Equal(t, "user/1001", s["xfer"].Transfer.To.String())
		require.Equal(t, DefaultTransferWait, s["xfer"].Transfer.Timeout)
		x := s["xfer2"].Transfer
		require.Equal(t, 20*time.Second, x.Timeout)
		require.Equal(t, "{{call.called}}", x.CallerID.String())
		require.Equal(t, s["bye"], x.OnFail)
	})
	t.Run("callback and sms", func(t *testing.T) {
		c := s["cb"].Callback
		require.Equal(t, "loans", c.Queue)
		require.Equal(t, "bank", c.CalendarName)
		require.NotNil(t, c.Calendar)
		require.Equal(t, "loan", c.Reason.String())
		require.Equal(t, "{{caller.number}}", s["cb2"].Callback.Number.String(), "default number")
		require.Equal(t, "card_services", s["text"].SMS.Template)
		require.Equal(t, "{{caller.number}}", s["text"].SMS.To.String())
		m := s["text2"].SMS
		require.Equal(t, "Hi {{vars.name}}", m.Text.String())
		require.Equal(t, "x", m.Vars[0].Var)
		require.Equal(t, s["bye"], m.OnError)
	})
}

func TestDefaultsAreApplied(t *testing.T) {
	t.Parallel()
	b := newLintBundle(t)
	f := b.mustParse(t, `
steps:
  first:
    menu: {prompt: "Press 1", options: {1: bye}}
  ask:
    input: {prompt: "Enter it", into: pin, confirm: true}
    next: bye
  check:
    if: vars.pin == "1"
    then: bye
    next: bye
  web:
    lookup: {url: "http://x/y"}
    next: bye
  bye:
    hangup:
`)
	require.Equal(t, "t", f.Name, "the file name is the flow name")
	require.Equal(t, []string{"en"}, f.Languages)
	require.Equal(t, "en", f.DefaultLanguage)
	require.Equal(t, time.UTC, f.Location)
	require.Equal(t, f.ByName["first"], f.Start, "no step named start: the first one")
	m := f.ByName["first"].Menu
	require.Equal(t, Collect{Prompt: m.Prompt, Timeout: 5 * time.Second, DigitTimeout: 2 * time.Second, Tries: 3, BargeIn: true}, m.Collect)
	in := f.ByName["ask"].Input
	require.Equal(t, 1, in.Min)
	require.Equal(t, 20, in.Max)
	require.Equal(t, "#", in.Terminator)
	require.Equal(t, "1", in.Confirm.Yes)
	require.Equal(t, "2", in.Confirm.No)
	text, err := in.Confirm.Prompt[0].Prompt.For("en")[0].Text.Render(expr.MapEnv{"vars": {"pin": expr.StringValue("1234")}})
	require.NoError(t, err)
	require.Equal(t, "You entered 1 2 3 4. If this is correct, press 1. To enter it again, press 2.", text)
	require.Equal(t, f.ByName["bye"], f.ByName["check"].If.Else, "else defaults to next")
	l := f.ByName["web"].Lookup
	require.Equal(t, "GET", l.Method)
	require.Equal(t, 3*time.Second, l.Timeout)
}

func TestYAMLAnchorsAndAliasesAreFollowed(t *testing.T) {
	t.Parallel()
	b := newLintBundle(t)
	f := b.mustParse(t, `
languages: [en, zh]
prompts:
  pick:
    en: &pick [{say: "For English press 1", lang: en}, {say: "中文请按 2", lang: zh}]
    zh: *pick
x-menu: &defaults
  tries: 2
  timeout: 3s
steps:
  start:
    menu:
      <<: *defaults
      prompt: pick
      options: {1: bye}
      on_fail: bye
  bye:
    hangup:
`)
	m := f.ByName["start"].Menu
	require.Equal(t, 2, m.Tries, "merged from the x- anchor")
	require.Equal(t, 3*time.Second, m.Timeout)
	require.Equal(t, f.Prompts["pick"].ByLang["en"], f.Prompts["pick"].ByLang["zh"])
}

func TestNamePatternMatchesItsRegexp(t *testing.T) {
	t.Parallel()
	names := []string{"", "a", "_", "-", "0", "a0", "0a", "a-b", "-a", "a_b", "A_Z-9", "a b", "a.b", "é", "aé", "a\n", "\na", "a$", "main", "vars.n", "x-1", "_-_"}
	for _, np := range []namePattern{stepNameRE, varNameRE} {
		for _, n := range names {
			require.Equal(t, np.re.MatchString(n), np.MatchString(n), "pattern %s, name %q", np, n)
		}
	}
}
