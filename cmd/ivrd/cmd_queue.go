package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/config"
	"github.com/ivrd/ivrd/ivr"
)

func init() {
	register(command{name: "queue status", args: "[QUEUE] [--url URL | --config FILE]",
		summary: "print queues' waiting callers, agents and service-level figures from the running ivrd", run: runQueueStatus})
	register(command{name: "queue login", args: "QUEUE AGENT [--url URL | --config FILE]",
		summary: "log an agent (a FreeSWITCH endpoint such as user/1001) in to a queue", run: runQueueAgent("login")})
	register(command{name: "queue logout", args: "QUEUE AGENT [--url URL | --config FILE]",
		summary: "log an agent out of a queue (a call it is on goes on)", run: runQueueAgent("logout")})
}

// queueAPI resolves where the running ivrd's HTTP API is: --url, else listen.http of --config
// (or $IVRD_CONFIG, else the embedded default).
func queueAPI(name string, env *cmdEnv, args []string) ([]string, string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	base := fs.String("url", env.getenv("IVRD_URL"), "the running ivrd's HTTP address, e.g. http://127.0.0.1:8080 (default $IVRD_URL, else listen.http of the config)")
	path := fs.String("config", env.getenv("IVRD_CONFIG"), "the config file whose listen.http to use (default $IVRD_CONFIG, else the embedded default)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, "", flagError(err)
	}
	if *base == "" {
		cfg, err := config.Load(*path)
		if err != nil {
			return nil, "", err
		}
		if cfg.Listen.HTTP == "" {
			return nil, "", errors.New("no listen.http in the config: give --url http://HOST:PORT of the running ivrd")
		}
		*base = "http://" + cfg.Listen.HTTP
	}
	return pos, strings.TrimRight(*base, "/"), nil
}

func queueRequest(ctx context.Context, method, u string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return fmt.Errorf("queue api: %w (give --url as http://HOST:PORT of the running ivrd)", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("queue api: %w (is ivrd serve running? give its address with --url)", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("queue api: read the reply: %w (is ivrd still running? try again)", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("queue api: %s: %s (is --url %s the running ivrd's HTTP address? ivrd queue status lists its queues)",
			resp.Status, bytes.TrimSpace(body), u)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("queue api: the reply is not the queue figures (is %s ivrd?): %w", u, err)
	}
	return nil
}

func runQueueStatus(ctx context.Context, env *cmdEnv, args []string) error {
	pos, base, err := queueAPI("ivrd queue status", env, args)
	if err != nil {
		return err
	}
	var all []ivr.QueueStats
	switch len(pos) {
	case 0:
		err = queueRequest(ctx, http.MethodGet, base+"/api/queues", &all)
	case 1:
		var one ivr.QueueStats
		err = queueRequest(ctx, http.MethodGet, base+"/api/queues/"+url.PathEscape(pos[0]), &one)
		all = append(all, one)
	default:
		return errors.New("give at most one queue name: ivrd queue status [QUEUE]")
	}
	if err != nil {
		return err
	}
	if len(all) == 0 {
		fmt.Fprintln(env.stdout, "no queues (queues: in ivrd.yaml)")
		return nil
	}
	for _, s := range all {
		printQueueStats(env.stdout, s)
	}
	return nil
}

func printQueueStats(w io.Writer, s ivr.QueueStats) {
	est := "unknown (not enough recent answers)"
	if s.EstimateKnown {
		est = s.EstimatedWait.Round(time.Second).String()
	}
	pct := func(n int) string {
		if s.Answered == 0 {
			return "-"
		}
		return fmt.Sprintf("%d%%", n*100/s.Answered)
	}
	fmt.Fprintf(w, "queue %s: %d waiting, %d kept places, agents %d logged in / %d idle, next wait %s\n",
		s.Queue, s.Waiting, s.KeptPlaces, s.AgentsLoggedIn, s.AgentsIdle, est)
	fmt.Fprintf(w, "  joined %d  answered %d (within 20s %s, 30s %s)  avg wait %s  p90 %s\n",
		s.Joined, s.Answered, pct(s.AnsweredWithin20), pct(s.AnsweredWithin30), s.AvgWait.Round(time.Second), s.P90Wait.Round(time.Second))
	fmt.Fprintf(w, "  abandoned %d  overflowed %d  deflected to text %d  converted to callback %d  agent rollovers %d\n",
		s.Abandoned, s.Overflowed, s.Deflected, s.Callbacks, s.Rollovers)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, a := range s.Agents {
		in := "logged out"
		if a.LoggedIn {
			in = "logged in"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d calls\n", a.Endpoint, in, a.State, a.Calls)
	}
	_ = tw.Flush()
}

func runQueueAgent(op string) func(context.Context, *cmdEnv, []string) error {
	return func(ctx context.Context, env *cmdEnv, args []string) error {
		pos, base, err := queueAPI("ivrd queue "+op, env, args)
		if err != nil {
			return err
		}
		if len(pos) != 2 {
			return fmt.Errorf("give a queue and an agent: ivrd queue %s QUEUE AGENT (e.g. ivrd queue %s cards user/1001)", op, op)
		}
		var s ivr.QueueStats
		u := base + "/api/queues/" + url.PathEscape(pos[0]) + "/" + op + "?agent=" + url.QueryEscape(pos[1])
		if err := queueRequest(ctx, http.MethodPost, u, &s); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s logged %s %s\n", pos[1], map[string]string{"login": "in to", "logout": "out of"}[op], pos[0])
		printQueueStats(env.stdout, s)
		return nil
	}
}
