package feeds

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kabootar/kabootar/internal/cache"
)

// Starter is one of the sources offered to a new reader (assets/starter.json).
type Starter struct {
	Name     string   `json:"name"`
	Language string   `json:"language"` // "fa" or "en"
	Kind     string   `json:"kind"`     // cache.KindFeed or cache.KindTelegram
	URL      string   `json:"url"`
	Mirrors  []string `json:"mirrors"`
}

// StarterLanguages are the languages the starter list is grouped by.
var StarterLanguages = []string{"fa", "en"}

// ReadStarters reads and checks a starter list. Every entry must be usable
// as it stands: the list is added without asking the network.
func ReadStarters(data []byte) ([]Starter, error) {
	var doc struct {
		Sources []Starter `json:"sources"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("starter sources: %w", err)
	}
	seen := map[string]bool{}
	for i, s := range doc.Sources {
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("starter source %d (%s): %w", i+1, s.Name, err)
		}
		if seen[s.URL] {
			return nil, fmt.Errorf("starter source %d (%s): %s is listed twice", i+1, s.Name, s.URL)
		}
		seen[s.URL] = true
	}
	return doc.Sources, nil
}

func (s Starter) check() error {
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("no name")
	}
	known := false
	for _, l := range StarterLanguages {
		known = known || s.Language == l
	}
	if !known {
		return fmt.Errorf("language %q is not one of %v", s.Language, StarterLanguages)
	}
	switch s.Kind {
	case cache.KindFeed:
		u, err := NormalizeURL(s.URL)
		if err != nil {
			return err
		}
		if u != s.URL {
			return fmt.Errorf("write the URL as %s", u)
		}
	case cache.KindTelegram:
		name, ok := ParseChannel(s.URL)
		if !ok || s.URL != ChannelURL(TelegramHost, name, 0) {
			return fmt.Errorf("a channel is written %s", ChannelURL(TelegramHost, "NAME", 0))
		}
	default:
		return fmt.Errorf("kind %q is not %s or %s", s.Kind, cache.KindFeed, cache.KindTelegram)
	}
	for _, m := range s.Mirrors {
		if _, err := NormalizeURL(m); err != nil {
			return fmt.Errorf("mirror: %w", err)
		}
	}
	return nil
}

// StartersFor is the part of the list in one language.
func StartersFor(list []Starter, language string) []Starter {
	var out []Starter
	for _, s := range list {
		if s.Language == language {
			out = append(out, s)
		}
	}
	return out
}

// Source is the starter as a source to add.
func (s Starter) Source() cache.Source {
	return cache.Source{Kind: s.Kind, URL: s.URL, Name: s.Name, Mirrors: s.Mirrors}
}
