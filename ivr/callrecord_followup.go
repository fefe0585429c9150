package ivr

import "github.com/ivrd/ivrd/sms"

// FinishedCall is the record as package sms's follow-up rules read it. Wire follow-up texts
// with an OnCallEnded hook:
//
//	OnCallEnded: []func(context.Context, *ivr.CallRecord){
//		func(ctx context.Context, rec *ivr.CallRecord) {
//			if _, err := followUps.OnCallEnded(ctx, rec.FinishedCall()); err != nil { ... }
//		},
//	}
func (r *CallRecord) FinishedCall() sms.FinishedCall {
	vars := make(map[string]any, len(r.Vars))
	for k, v := range r.Vars {
		vars[k] = v
	}
	return sms.FinishedCall{
		CallID:  r.ID,
		Caller:  r.Caller,
		Outcome: string(r.Outcome),
		Steps:   r.Steps(),
		Tags:    append([]string(nil), r.Tags...),
		Lang:    r.Language,
		EndedAt: r.EndedAt,
		Vars:    vars,
	}
}
