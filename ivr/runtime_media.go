package ivr

import (
	"fmt"
	"strings"
)

// media resolves flow audio into what the channel plays: named prompts in the caller's
// language, say: text rendered with the call's variables and spoken in the language's voice.
func (c *call) media(audio []Audio) []Media {
	out := make([]Media, 0, len(audio))
	return c.appendMedia(out, audio, "", 0)
}

func (c *call) appendMedia(out []Media, audio []Audio, prompt string, depth int) []Media {
	return c.appendMediaLang(out, audio, prompt, "", depth)
}

// appendMediaLang resolves audio; lang, when set, is the language the pieces are in (a
// prompt played in a language other than the caller's).
func (c *call) appendMediaLang(out []Media, audio []Audio, prompt, lang string, depth int) []Media {
	for _, a := range audio {
		if a.Lang == "" && lang != "" {
			a.Lang = lang
		}
		switch a.Kind {
		case AudioFile:
			out = append(out, Media{Kind: MediaFile, Src: a.Path, Prompt: prompt})
		case AudioURL:
			out = append(out, Media{Kind: MediaStream, Src: a.URL, Prompt: prompt})
		case AudioSilence:
			m := SilenceMedia(a.Silence)
			m.Prompt = prompt
			out = append(out, m)
		case AudioSay:
			text, err := a.Text.Render(c)
			if err != nil {
				c.event(EventError, fmt.Sprintf("say %q: %v", a.Text.String(), err))
			}
			out = append(out, Media{Kind: MediaSpeech, Src: speakable(text), Voice: c.voiceFor(orDefault(a.Lang, c.lang)), Prompt: prompt})
		case AudioPrompt:
			if a.Prompt == nil || depth > 4 {
				continue
			}
			out = c.appendMediaLang(out, a.Prompt.For(orDefault(a.Lang, c.lang)), a.Prompt.Key, orDefault(a.Lang, ""), depth+1)
		}
	}
	return out
}

// voice is the TTS engine|voice for the caller's language.
func (c *call) voice() string { return c.voiceFor(c.lang) }

// voiceFor is the TTS engine|voice for lang (Config.Voices, else DefaultVoice).
func (c *call) voiceFor(lang string) string {
	if v := c.rt.cfg.Voices[lang]; v != "" {
		return v
	}
	return DefaultVoice
}

// speakable makes text safe inside FreeSWITCH's speak: and file_string:// arguments, which
// split on '!' and '|' and end at a line break.
func speakable(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '!':
			return '.'
		case '|', '\r', '\n', '\t':
			return ' '
		}
		return r
	}, s)
}
