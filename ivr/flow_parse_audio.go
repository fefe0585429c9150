package ivr

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Audio items, as written by designers:
//
//	welcome                    a prompt key (in steps), played in the caller's language
//	prompts/en/welcome.wav     a sound file (known audio extension)
//	tone_stream://%(200,0,440) any FreeSWITCH stream URL (contains ://), played as is
//	"Welcome to Example Bank." anything else is spoken by text-to-speech ({{...}} allowed)
//	{say: text} {silence: 2s} {prompt: key} {file: path}   the explicit forms
//	[a, b, c]                  a list plays in order

var audioExts = []string{".wav", ".mp3", ".ogg", ".flac", ".gsm", ".ul", ".ulaw", ".al", ".alaw", ".sln", ".r8", ".r16", ".opus", ".g722", ".g729"}

var promptKeyRE = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func hasAudioExt(s string) bool {
	l := strings.ToLower(s)
	for _, e := range audioExts {
		if strings.HasSuffix(l, e) {
			return true
		}
	}
	return false
}

// audio reads an audio item or list. inPrompt is true inside prompts: (where plain text is
// always speech and prompt keys cannot be used).
func (p *flowParser) audio(n ast.Node, what string, inPrompt bool) []Audio {
	v := p.resolve(n)
	switch x := v.(type) {
	case nil, *ast.NullNode:
		p.errorf(p.pos(n), "%s has nothing to play: give a prompt key, a sound file, or text", what)
		return nil
	case *ast.SequenceNode:
		if len(x.Values) == 0 {
			p.errorf(p.pos(n), "%s is an empty list: give at least one thing to play", what)
		}
		var out []Audio
		for _, it := range x.Values {
			if _, nested := p.resolve(it).(*ast.SequenceNode); nested {
				p.errorf(p.pos(it), "%s: a list inside a list; write one item per line", what)
				continue
			}
			out = append(out, p.audio(it, what, inPrompt)...)
		}
		return out
	case *ast.MappingNode, *ast.MappingValueNode:
		o, ok := p.object(n, what, audioFields)
		if !ok {
			return nil
		}
		defer p.bug(o)
		lang, le := o.text("lang")
		kinds := 0
		for _, k := range []string{"say", "silence", "prompt", "file"} {
			if o.lookup(k) != nil {
				kinds++
			}
		}
		if kinds != 1 {
			if len(o.entries) == len(o.byKey) {
				p.errorf(o.pos, "%s: write exactly one of say:, silence:, prompt:, file: per item (use a list for several)", what)
			}
			for _, k := range []string{"say", "silence", "prompt", "file"} {
				o.get(k)
			}
			return nil
		}
		if le != nil {
			if o.lookup("say") == nil && o.lookup("prompt") == nil {
				p.errorf(le.kpos, "%s: lang: goes with say: or prompt: only", what)
			} else if !p.hasLang(lang) {
				p.errorf(le.vpos(&p.nodeReader), "%s: language %q is not in languages (%s)%s", what, lang, strings.Join(p.f.Languages, ", "), didYouMean(lang, p.f.Languages))
			}
		}
		withLang := func(as []Audio) []Audio {
			for i := range as {
				as[i].Lang = lang
			}
			return as
		}
		if e := o.get("say"); e != nil {
			if le != nil {
				// spoken in a fixed language: the same for every caller, so no warning
				t := p.parseTemplate(e.raw, what)
				if t == nil {
					return nil
				}
				return []Audio{{Kind: AudioSay, Pos: p.pos(e.raw), Text: t, Duration: speechDuration(t.String()), Lang: lang}}
			}
			return p.say(e.raw, what, inPrompt)
		}
		if e := o.get("silence"); e != nil {
			d := o.duration("silence", 0)
			return []Audio{{Kind: AudioSilence, Pos: e.vpos(&p.nodeReader), Silence: d, Duration: d}}
		}
		if e := o.get("prompt"); e != nil {
			s, _ := o.text("prompt")
			if inPrompt {
				p.errorf(e.vpos(&p.nodeReader), "%s: a prompt cannot play another prompt; copy its audio here", what)
				return nil
			}
			return withLang(p.promptRef(s, e.vpos(&p.nodeReader), what))
		}
		if e := o.get("file"); e != nil {
			s, _ := o.text("file")
			return p.soundFile(s, e.vpos(&p.nodeReader), what)
		}
		return nil
	}
	s, ok := p.scalar(v)
	if !ok {
		p.errorf(p.pos(n), "%s must be a prompt key, a sound file or text, not %s", what, p.describe(n))
		return nil
	}
	pos := p.pos(n)
	switch {
	case strings.Contains(s, "://") && !strings.Contains(s, " "):
		return []Audio{{Kind: AudioURL, Pos: pos, URL: s, Duration: streamDuration(s)}}
	case hasAudioExt(s) && !strings.ContainsAny(s, " {"):
		return p.soundFile(s, pos, what)
	case !inPrompt && promptKeyRE.MatchString(s):
		return p.promptRef(s, pos, what)
	}
	return p.say(n, what, inPrompt)
}

func (p *flowParser) say(n ast.Node, what string, inPrompt bool) []Audio {
	t := p.parseTemplate(n, what)
	if t == nil {
		return nil
	}
	if strings.TrimSpace(t.String()) == "" {
		p.errorf(p.pos(n), "%s: the text to speak is empty", what)
		return nil
	}
	pos := p.pos(n)
	if !inPrompt {
		p.inlineText = append(p.inlineText, pos)
	}
	return []Audio{{Kind: AudioSay, Pos: pos, Text: t, Duration: speechDuration(t.String())}}
}

func (p *flowParser) promptRef(key string, pos Pos, what string) []Audio {
	pr := p.f.Prompts[key]
	if pr == nil {
		keys := make([]string, 0, len(p.f.Prompts))
		for k := range p.f.Prompts {
			keys = append(keys, k)
		}
		hint := didYouMean(key, keys)
		if hint == "" {
			hint = fmt.Sprintf("; add it under prompts:, or to speak the word write say: %q", key)
		}
		p.errorf(pos, "unknown prompt %q in %s%s", key, what, hint)
		return nil
	}
	return []Audio{{Kind: AudioPrompt, Pos: pos, Prompt: pr}}
}

// soundInfo is the result of looking a sound file up.
type soundInfo struct {
	path  string
	found bool
	data  []byte // the first bytes, for the WAV header
}

func (p *flowParser) soundFile(rel string, pos Pos, what string) []Audio {
	if rel == "" {
		p.errorf(pos, "%s: the file name is empty", what)
		return nil
	}
	info, ok := p.sounds[rel]
	if !ok {
		info = p.lookupSound(rel)
		p.sounds[rel] = info
	}
	if !info.found && !p.cat.SkipFileCheck {
		where := "next to the flow file"
		if p.cat.SoundsDir != "" {
			where += " or in the sounds folder " + p.cat.SoundsDir
		}
		p.errorf(pos, "sound file %q not found %s; check the name, or use say: \"...\" for text-to-speech", rel, where)
		return nil
	}
	return []Audio{{Kind: AudioFile, Pos: pos, Path: info.path, Duration: wavDuration(info.data)}}
}

// lookupSound finds rel next to the flow file, then in the catalog's sounds folder.
func (p *flowParser) lookupSound(rel string) soundInfo {
	if filepath.IsAbs(rel) {
		b, err := readHead(os.Open(rel))
		return soundInfo{path: rel, found: err == nil, data: b}
	}
	if p.fsys != nil {
		name := path.Join(p.dir, filepath.ToSlash(rel))
		if fs.ValidPath(name) {
			if b, err := readHead(p.fsys.Open(name)); err == nil {
				full := name
				if p.osDir != "" {
					full = filepath.Join(p.osDir, filepath.FromSlash(rel))
				}
				return soundInfo{path: full, found: true, data: b}
			}
		}
	}
	if p.cat.SoundsDir != "" {
		full := filepath.Join(p.cat.SoundsDir, filepath.FromSlash(rel))
		if b, err := readHead(os.Open(full)); err == nil {
			return soundInfo{path: full, found: true, data: b}
		}
	}
	full := rel
	if p.osDir != "" {
		full = filepath.Join(p.osDir, filepath.FromSlash(rel))
	}
	return soundInfo{path: full}
}

// readHead reads the first 4 KiB of a file (enough for a WAV header).
func readHead(f fs.File, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a folder", st.Name())
	}
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	return buf[:n], nil
}
