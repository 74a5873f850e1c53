package assets

import (
	"bytes"
	"encoding/json"
	"image/png"
	"testing"
)

func TestIconIsASquarePNG(t *testing.T) {
	img, err := png.Decode(bytes.NewReader(Icon))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 256 {
		t.Errorf("icon is %v; packaging wants a square of 256 px or more", b)
	}
}

func TestTranslationsHaveTheSameKeys(t *testing.T) {
	read := func(name string) map[string]string {
		b, err := Lang.ReadFile("lang/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	en, fa := read("en.json"), read("fa.json")
	for k := range en {
		if fa[k] == "" {
			t.Errorf("fa.json lacks %q", k)
		}
	}
	for k := range fa {
		if _, ok := en[k]; !ok {
			t.Errorf("fa.json has %q, which en.json lacks", k)
		}
	}
	if len(FontRegular) < 50000 || len(FontBold) < 50000 {
		t.Error("fonts missing")
	}
}
