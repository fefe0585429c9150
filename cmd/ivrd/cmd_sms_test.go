package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSMSKannelConf(t *testing.T) {
	code, out, errOut := runCmd(t, "sms", "kannel-conf", "--ivrd-url", "http://ivrd:8080/")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `get-url = "http://ivrd:8080/sms/kannel/inbound?id=%I&from=%p&to=%P&text=%b&coding=%c&charset=%C"`)
	require.Contains(t, out, "max-messages = 0")
	require.Contains(t, out, "mo-recode = true")
	require.Contains(t, out, "http-request-retry = 100")

	code, out, _ = runCmd(t, "sms", "kannel-conf")
	require.Equal(t, 0, code)
	require.Contains(t, out, `get-url = "http://127.0.0.1:8080/sms/kannel/inbound?`, "defaults to listen.http of the config")
}

func TestSMSSegments(t *testing.T) {
	code, out, _ := runCmd(t, "sms", "segments", strings.Repeat("你好", 40))
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(out, "ucs2, 80 UTF-16 units, 2 segment(s)\n"), out)
	code, out, _ = runCmd(t, "sms", "segments", "Reply", "CALL")
	require.Equal(t, 0, code)
	require.Equal(t, "gsm7, 10 characters (septets), 1 segment(s)\n", out)
	code, _, errOut := runCmd(t, "sms", "segments")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "usage")
}
