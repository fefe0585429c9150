package callback

import "github.com/ivrd/ivrd/ivr/expr"

// FlowVars are the callback flow's variables (reason, queue, lang) from the channel
// variables an originated callback leg carries; get reads one (esl.Call.Var). The daemon
// passes them as ivr.CallOptions.Vars when it runs the flow named by ivrd_flow. nil when the
// call is not a callback.
func FlowVars(get func(name string) string) map[string]expr.Value {
	if get(VarID) == "" {
		return nil
	}
	vars := map[string]expr.Value{}
	for name, v := range map[string]string{"reason": VarTopic, "queue": VarQueue, "lang": VarLanguage, "callback_id": VarID} {
		if s := get(v); s != "" {
			vars[name] = expr.StringValue(s)
		}
	}
	return vars
}
