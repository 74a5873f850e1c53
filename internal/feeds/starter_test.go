package feeds

import (
	"strings"
	"testing"

	"github.com/kabootar/kabootar/assets"
)

// The shipped list must load as it is: a mistake in it would break the
// first run for everyone.
func TestShippedStarters(t *testing.T) {
	list, err := ReadStarters(assets.Starter)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range StarterLanguages {
		got := StartersFor(list, l)
		feeds, channels := 0, 0
		for _, s := range got {
			if s.Kind == "telegram" {
				channels++
			} else {
				feeds++
			}
		}
		if feeds == 0 || channels == 0 {
			t.Errorf("%s: %d feeds and %d channels; the list offers both in each language", l, feeds, channels)
		}
	}
}

func TestReadStartersRejects(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"not json", `{`, "starter sources"},
		{"no name", `{"sources":[{"language":"en","kind":"feed","url":"https://a.example/rss"}]}`, "no name"},
		{"language", `{"sources":[{"name":"A","language":"de","kind":"feed","url":"https://a.example/rss"}]}`, "language"},
		{"kind", `{"sources":[{"name":"A","language":"en","kind":"page","url":"https://a.example/"}]}`, "kind"},
		{"bad url", `{"sources":[{"name":"A","language":"en","kind":"feed","url":"ftp://a.example/"}]}`, "A"},
		{"channel", `{"sources":[{"name":"A","language":"fa","kind":"telegram","url":"@abcdef"}]}`, "https://t.me/s/NAME"},
		{"twice", `{"sources":[{"name":"A","language":"en","kind":"feed","url":"https://a.example/rss"},
			{"name":"B","language":"en","kind":"feed","url":"https://a.example/rss"}]}`, "twice"},
		{"mirror", `{"sources":[{"name":"A","language":"en","kind":"feed","url":"https://a.example/rss","mirrors":["nope nope"]}]}`, "mirror"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadStarters([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestStarterSource(t *testing.T) {
	list, err := ReadStarters([]byte(`{"sources":[
		{"name":"A","language":"en","kind":"feed","url":"https://a.example/rss","mirrors":["https://m.example/rss"]},
		{"name":"ب","language":"fa","kind":"telegram","url":"https://t.me/s/channel_b"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fa := StartersFor(list, "fa")
	if len(fa) != 1 || fa[0].Source().Kind != "telegram" || fa[0].Source().URL != "https://t.me/s/channel_b" {
		t.Errorf("fa = %+v", fa)
	}
	en := StartersFor(list, "en")[0].Source()
	if en.Name != "A" || len(en.Mirrors) != 1 {
		t.Errorf("en = %+v", en)
	}
}
