package cache

import "testing"

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
	tests := []struct{ in, want string }{
		{"كتاب", `"کتاب"*`},
		{`news "OR" NEAR(x)`, `"news"* "or"* "near"* "x"*`},
		{"  ", ""},
		{"*-:^", ""},
		{"«تهران»، امروز؟", `"تهران"* "امروز"*`},
		{"Café NAÏVE", `"cafe"* "naive"*`},
	}
	for _, tt := range tests {
		if got := ftsQuery(tt.in); got != tt.want {
			t.Errorf("ftsQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
