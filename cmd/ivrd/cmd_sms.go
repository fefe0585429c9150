package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/ivrd/ivrd/sms"
)

// The sms package's tables (inbound, outbound, opt-out, follow-ups).
func init() { migrationSets = append(migrationSets, sms.Migrations) }

func init() {
	register(command{name: "sms kannel-conf", args: "[--config FILE] [--ivrd-url URL]",
		summary: "print the kannel.conf groups (smsbox, sendsms-user, sms-service) that match ivrd", run: runSMSKannelConf})
	register(command{name: "sms segments", args: "TEXT...",
		summary: "show how a text is encoded (GSM-7 or UCS-2) and into how many segments it is split", run: runSMSSegments})
}

func runSMSKannelConf(_ context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("ivrd sms kannel-conf", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	path := fs.String("config", env.getenv("IVRD_CONFIG"), "the config file (default $IVRD_CONFIG, else the embedded default)")
	ivrdURL := fs.String("ivrd-url", "", "the base URL Kannel reaches ivrd at (default: http:// + listen.http)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitError{0}
		}
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; usage: ivrd sms kannel-conf [--config FILE] [--ivrd-url URL]", fs.Args())
	}
	c, _, _, err := loadForCheck(env, *path)
	if err != nil {
		return err
	}
	base := *ivrdURL
	if base == "" {
		base = "http://" + c.Listen.HTTP
	}
	return sms.WriteKannelConf(env.stdout, sms.KannelConfOptions{IvrdURL: base, Kannel: c.SMS.Kannel})
}

func runSMSSegments(_ context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 {
		return errors.New("give the text to measure; usage: ivrd sms segments TEXT...")
	}
	text := strings.Join(args, " ")
	info := sms.Segments(text)
	unit := "characters (septets)"
	if info.Encoding == sms.UCS2 {
		unit = "UTF-16 units"
	}
	fmt.Fprintf(env.stdout, "%s, %d %s, %d segment(s)\n", info.Encoding, info.Units, unit, info.Count)
	if info.Count > 1 {
		for i, p := range sms.SplitSegments(text) {
			fmt.Fprintf(env.stdout, "  %d: %s\n", i+1, p)
		}
	}
	return nil
}
