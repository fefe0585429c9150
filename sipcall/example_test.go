package sipcall_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ivrd/ivrd/sipcall"
)

// Dial the hotline of the docker stack, press 1, wait, then 2 and 5#, and keep what was heard.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := sipcall.Call(ctx, sipcall.Options{
		URI:        "sip:8500@127.0.0.1:5080",
		Digits:     "1,wait 3s,2,5#",
		RecordPath: "heard.wav",
	})
	if err != nil {
		fmt.Println("could not call:", err)
		return
	}
	fmt.Println(res) // e.g. answered, talked 9.8s, sent "125#", hung up by remote: NORMAL_CLEARING (Q.850 16)
}
