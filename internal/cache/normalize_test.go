package cache

import (
	"strings"
	"testing"
	"unicode"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"كتاب", "کتاب"},                 // Arabic kaf
		{"كتابي", "کتابی"},               // Arabic kaf and yeh
		{"علی", "علی"},                   // already Persian
		{"مى", "می"},                     // alef maksura
		{"می\u200cخواهم", "میخواهم"},     // ZWNJ
		{"کتــــاب", "کتاب"},             // tatweel
		{"كِتَابٌ", "کتاب"},              // harakat
		{"۱۴۰۳", "1403"},                 // Persian digits
		{"٢٠٢٤", "2024"},                 // Arabic-Indic digits
		{"Hello, World", "Hello, World"}, // untouched
		{"", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFTSQuery(t *testing.T) {
	any := func(w string) string {
		var alts []string
		for _, e := range wordEndings {
			alts = append(alts, `"`+w+e+`"`)
		}
		return "(" + strings.Join(alts, " OR ") + ")"
	}
	tests := []struct{ in, want string }{
		{"كتاب", any("کتاب")},
		{`news "OR" NEAR(x)`, any("news") + " AND " + any("or") + " AND " + any("near") + " AND " + any("x")},
		{"  ", ""},
		{"*-:^", ""},
		{"«تهران»، امروز؟", any("تهران") + " AND " + any("امروز")},
		{"Café NAÏVE", any("cafe") + " AND " + any("naive")},
		{"تهر* elect*", `"تهر"* AND "elect"*`},
	}
	for _, tt := range tests {
		if got := ftsQuery(tt.in); got != tt.want {
			t.Errorf("ftsQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchTextAgreesWithNormalize(t *testing.T) {
	// searchText folds in one pass what Normalize does, then case and
	// separators; the two must agree on the letters.
	inputs := []string{"كتابي", "می\u200cخواهم", "کتــــاب", "كِتَابٌ", "۱۴۰۳ ٢٠٢٤", "«تهران»، امروز؟", "Hello, World!", "Ünïcödé ÉTÉ", "日本語 テキスト"}
	for _, in := range inputs {
		want := strings.Join(strings.FieldsFunc(strings.ToLower(Normalize(in)), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.M, r)
		}), " ")
		got := searchText(in)
		// Latin accents are folded by searchText only.
		if strings.ContainsAny(in, "ÜïöéÉ") {
			want = "unicode ete"
		}
		if got != want {
			t.Errorf("searchText(%q) = %q, want %q", in, got, want)
		}
	}
}
