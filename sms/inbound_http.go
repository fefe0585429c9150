package sms

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Paths where Routes mounts the handlers.
const (
	PathKannelInbound = "/sms/kannel/inbound"
	PathKannelDLR     = "/sms/kannel/dlr"
	PathTwilioInbound = "/sms/twilio/inbound"
	PathTwilioStatus  = "/sms/twilio/status"
)

// maxWebhookBody bounds what a webhook may send.
const maxWebhookBody = 64 << 10

// Routes mounts the inbound handlers on mux at the Path* paths.
func (in *Inbound) Routes(mux *http.ServeMux) {
	mux.Handle(PathKannelInbound, in.KannelHandler())
	mux.Handle(PathKannelDLR, in.KannelDLRHandler())
	mux.Handle(PathTwilioInbound, in.TwilioHandler())
	mux.Handle(PathTwilioStatus, in.TwilioStatusHandler())
}

// httpError answers with a plain-text error.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, format+"\n", args...)
}

// KannelHandler receives texts from a Kannel sms-service. Configure the service with
// max-messages = 0 and, for GET:
//
//	get-url = "http://IVRD/sms/kannel/inbound?id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C"
//
// or with post-url and the same query without text (the body is the text). mo-recode = true
// in the smsbox group makes Kannel deliver UCS-2 texts as UTF-8.
func (in *Inbound) KannelHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			httpError(w, http.StatusMethodNotAllowed, "use GET (get-url) or POST (post-url)")
			return
		}
		t, err := kannelText(r)
		if err != nil {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		in.receiveHTTP(w, r, t, "text/plain; charset=utf-8", "")
	})
}

// receiveHTTP stores t and answers: 2xx when stored or already stored, 400 for a bad sender,
// 503 when the database fails (so the gateway tries again).
func (in *Inbound) receiveHTTP(w http.ResponseWriter, r *http.Request, t InboundText, contentType, okBody string) {
	_, dup, err := in.Receive(r.Context(), t)
	switch {
	case errors.Is(err, ErrBadNumber), errors.Is(err, ErrBadText):
		httpError(w, http.StatusBadRequest, "%v", err)
		return
	case err != nil:
		in.log.Error("inbound text not stored", "gateway", t.Gateway, "id", t.GatewayMessageID, "err", err)
		httpError(w, http.StatusServiceUnavailable, "not stored, try again: %v", err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	if dup {
		w.Header().Set("X-Ivrd-Duplicate", "true")
	}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, okBody)
}

// kannelText reads an inbound text from a Kannel get-url or post-url request.
func kannelText(r *http.Request) (InboundText, error) {
	q := r.URL.Query()
	var body []byte
	hasText := q.Has("text")
	raw := []byte(q.Get("text"))
	if r.Method == http.MethodPost {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxWebhookBody))
		if err != nil {
			return InboundText{}, fmt.Errorf("read body: %w", err)
		}
		body = b
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct == "application/x-www-form-urlencoded" {
			form, err := url.ParseQuery(string(b))
			if err != nil {
				return InboundText{}, fmt.Errorf("form body: %w", err)
			}
			for k, v := range form {
				if !q.Has(k) {
					q[k] = v
				}
			}
			hasText, raw = q.Has("text"), []byte(q.Get("text"))
		} else if !hasText {
			hasText, raw = true, body
		}
	}
	get := func(name, header string) string {
		if v := q.Get(name); v != "" {
			return v
		}
		return r.Header.Get(header)
	}
	t := InboundText{Gateway: "kannel", GatewayMessageID: get("id", "X-Kannel-ID"), From: get("from", "X-Kannel-From"), To: get("to", "X-Kannel-To")}
	switch {
	case t.GatewayMessageID == "":
		return t, errors.New("missing id: add id=%I to the sms-service get-url/post-url in kannel.conf")
	case t.From == "":
		return t, errors.New("missing from: add from=%p to the sms-service get-url/post-url in kannel.conf")
	case !hasText:
		return t, errors.New("missing text: add text=%b to the get-url (or use post-url, whose body is the text)")
	}
	text, err := decodeKannel(raw, get("coding", "X-Kannel-Coding"), get("charset", "X-Kannel-Charset"))
	if err != nil {
		return t, err
	}
	t.Body = text
	return t, nil
}

// decodeKannel turns a Kannel text into UTF-8. With mo-recode = true Kannel already sends
// UTF-8; otherwise UCS-2 texts come as UTF-16BE (coding 2) and 7-bit ones may be Latin-1.
func decodeKannel(raw []byte, coding, charset string) (string, error) {
	cs := strings.ToUpper(strings.ReplaceAll(charset, "_", "-"))
	switch {
	case cs == "UTF-16BE" || cs == "UCS-2" || cs == "UCS-2BE" || (coding == "2" && cs == ""):
		if len(raw)%2 != 0 {
			return "", errors.New("text: odd number of bytes for UTF-16BE")
		}
		u := make([]uint16, len(raw)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(raw[2*i:])
		}
		return string(utf16.Decode(u)), nil
	case cs == "ISO-8859-1" || cs == "LATIN1" || cs == "WINDOWS-1252":
		rs := make([]rune, len(raw))
		for i, b := range raw {
			rs[i] = rune(b)
		}
		return string(rs), nil
	}
	if !utf8.Valid(raw) {
		return "", fmt.Errorf("text is not valid UTF-8 (charset %q): set mo-recode = true in the smsbox group of kannel.conf", charset)
	}
	return string(raw), nil
}

// KannelDLRHandler receives Kannel delivery reports for the dlr-urls KannelGateway sets.
func (in *Inbound) KannelDLRHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		idStr := q.Get("id")
		id, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil {
			httpError(w, http.StatusBadRequest, "bad id %q: the dlr-url is set by ivrd's Kannel gateway", idStr)
			return
		}
		if len(in.dlrKey) > 0 && !hmac.Equal([]byte(q.Get("sig")), []byte(dlrSignature(in.dlrKey, idStr))) {
			httpError(w, http.StatusForbidden, "bad signature for text %d", id)
			return
		}
		typ, err := strconv.Atoi(q.Get("type"))
		if err != nil {
			httpError(w, http.StatusBadRequest, "bad type %q: want Kannel's %%d", q.Get("type"))
			return
		}
		reply := q.Get("reply")
		var st Status
		reason := ""
		switch typ {
		case kannelDLRDelivered:
			st = StatusDelivered
		case kannelDLRSMSCAccepted:
			st = StatusSent
		case kannelDLRUndelivered:
			st, reason = StatusFailed, "undelivered: "+reply
		case kannelDLRSMSCRejected:
			st, reason = StatusFailed, "rejected by SMSC: "+reply
		case kannelDLRBuffered:
			w.WriteHeader(http.StatusOK)
			return
		default:
			httpError(w, http.StatusBadRequest, "unknown delivery report type %d", typ)
			return
		}
		in.statusHTTP(w, in.sender.updateStatusByID(r.Context(), id, st, reason), fmt.Sprintf("text %d", id))
	})
}

func (in *Inbound) statusHTTP(w http.ResponseWriter, err error, what string) {
	switch {
	case errors.Is(err, ErrUnknownText):
		httpError(w, http.StatusNotFound, "%s: %v", what, err)
	case err != nil:
		in.log.Error("delivery report not applied", "text", what, "err", err)
		httpError(w, http.StatusServiceUnavailable, "not applied, try again: %v", err)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// twilioForm parses and authenticates a Twilio webhook; it has answered when ok is false.
func (in *Inbound) twilioForm(w http.ResponseWriter, r *http.Request) (ok bool) {
	if r.Method != http.MethodPost {
		httpError(w, http.StatusMethodNotAllowed, "use POST")
		return false
	}
	if in.twilioTok == "" {
		httpError(w, http.StatusNotFound, "the Twilio gateway is not configured (sms.twilio)")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
	if err := r.ParseForm(); err != nil {
		httpError(w, http.StatusBadRequest, "bad form: %v", err)
		return false
	}
	if err := checkTwilioSignature(in.twilioTok, in.cfg.Twilio.PublicURL, r); err != nil {
		httpError(w, http.StatusForbidden, "%v", err)
		return false
	}
	return true
}

// twimlEmpty is the answer to a Twilio webhook: replies are sent through the API instead.
const twimlEmpty = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// TwilioHandler receives texts from Twilio's messaging webhook; the X-Twilio-Signature must
// match (403 otherwise).
func (in *Inbound) TwilioHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !in.twilioForm(w, r) {
			return
		}
		t := InboundText{Gateway: "twilio", GatewayMessageID: r.PostForm.Get("MessageSid"),
			From: r.PostForm.Get("From"), To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body")}
		if t.GatewayMessageID == "" {
			t.GatewayMessageID = r.PostForm.Get("SmsSid")
		}
		switch {
		case t.GatewayMessageID == "":
			httpError(w, http.StatusBadRequest, "missing MessageSid")
			return
		case t.From == "":
			httpError(w, http.StatusBadRequest, "missing From")
			return
		case !r.PostForm.Has("Body"):
			httpError(w, http.StatusBadRequest, "missing Body")
			return
		}
		in.receiveHTTP(w, r, t, "text/xml; charset=utf-8", twimlEmpty)
	})
}

// TwilioStatusHandler receives Twilio status callbacks (MessageSid, MessageStatus).
func (in *Inbound) TwilioStatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !in.twilioForm(w, r) {
			return
		}
		sid, status := r.PostForm.Get("MessageSid"), r.PostForm.Get("MessageStatus")
		if sid == "" || status == "" {
			httpError(w, http.StatusBadRequest, "missing MessageSid or MessageStatus")
			return
		}
		var st Status
		reason := ""
		switch status {
		case "sent":
			st = StatusSent
		case "delivered":
			st = StatusDelivered
		case "failed", "undelivered", "canceled":
			st, reason = StatusFailed, status
			if c := r.PostForm.Get("ErrorCode"); c != "" {
				reason += " (error " + c + ")"
			}
		default: // accepted, queued, sending, scheduled, read, receiving, received
			w.WriteHeader(http.StatusOK)
			return
		}
		in.statusHTTP(w, in.sender.updateStatusByGatewayID(r.Context(), "twilio", sid, st, reason), "twilio message "+sid)
	})
}
