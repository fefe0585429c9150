package sms_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ivrd/ivrd/sms"
)

func ExampleSegments() {
	for _, text := range []string{
		"Your callback is booked for 10:30.",
		"您的回电已预约。",
		"Price: 10€ {incl. tax}",
	} {
		s := sms.Segments(text)
		fmt.Println(s.Encoding, s.Units, s.Count)
	}
	// Output:
	// gsm7 34 1
	// ucs2 8 1
	// gsm7 25 1
}

// Example shows how a daemon wires the package: build the Service, register its workers
// before creating the River client, give the client back, mount the handlers, send.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("IVRD_DATABASE_URL")) // migrated with sms.Migrations
	if err != nil {
		log.Fatal(err)
	}
	cfg := sms.Config{Gateway: "console", From: "5000", DefaultRegion: "US",
		Templates: map[string]map[string]string{"booked": {"en": "We will call you at {{eta}}."}}}
	svc, err := sms.New(cfg, pool, sms.Options{ConsoleOut: os.Stdout})
	if err != nil {
		log.Fatal(err)
	}
	workers := river.NewWorkers()
	svc.AddWorkers(workers)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}, Workers: workers})
	if err != nil {
		log.Fatal(err)
	}
	svc.SetJobClient(client)
	if err := client.Start(ctx); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	svc.Inbound.Routes(mux) // /sms/kannel/inbound, /sms/kannel/dlr, /sms/twilio/inbound, /sms/twilio/status

	// Key makes the text idempotent: sending it again queues nothing new.
	_, err = svc.Sender.Send(ctx, sms.Text{To: "+1 415 555 2671", Key: "callback:42:confirm",
		Purpose: sms.PurposeCallback, Template: "booked", Vars: map[string]any{"eta": "10:30"}})
	if err != nil {
		log.Fatal(err)
	}
}
