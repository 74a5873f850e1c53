package cache

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds the ways Persian and Arabic keyboards write the same word
// into one, so that search finds "کتاب" whichever keyboard typed it. It is
// applied to both the index and the query:
//   - Arabic yeh and alef maksura (ي ى) become Persian yeh (ی), Arabic kaf
//     (ك) Persian keheh (ک);
//   - zero-width non-joiner and joiner, and tatweel (ـ), are removed;
//   - diacritics (harakat, superscript alef) are removed;
//   - Persian and Arabic-Indic digits become ASCII digits.
//
// Case and Latin accents are left to the FTS tokenizer.
func Normalize(s string) string {
	// Most text needs no change; don't allocate for it.
	if strings.IndexFunc(s, needsNormalizing) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == 'ي' || r == 'ى':
			b.WriteRune('ی')
		case r == 'ك':
			b.WriteRune('ک')
		case r == '\u200c' || r == '\u200d' || r == 'ـ':
		case isArabicMark(r):
		case r >= '۰' && r <= '۹':
			b.WriteByte(byte('0' + r - '۰'))
		case r >= '٠' && r <= '٩':
			b.WriteByte(byte('0' + r - '٠'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needsNormalizing(r rune) bool {
	return r == 'ي' || r == 'ى' || r == 'ك' || r == '\u200c' || r == '\u200d' || r == 'ـ' ||
		isArabicMark(r) || (r >= '۰' && r <= '۹') || (r >= '٠' && r <= '٩')
}

// isArabicMark reports the combining marks of Arabic script: the harakat
// (fatha, kasra, damma, tanwin, shadda, sukun…) and superscript alef.
func isArabicMark(r rune) bool {
	return (r >= '\u064b' && r <= '\u065f') || r == '\u0670' ||
		(r >= '\u06d6' && r <= '\u06ed' && unicode.Is(unicode.Mn, r))
}

// searchText is what the search index holds for s: Normalize, then folded
// to lower case without Latin accents, every run of characters that are
// not letters, digits or marks turned into one space. With it, FTS5's
// fast ascii tokenizer (which splits on ASCII spaces and punctuation only)
// splits words exactly as Unicode does, and the tokenizing of 100 MB of
// articles costs a fraction of unicode61's.
func searchText(s string) string {
	s = Normalize(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			default:
				if !space {
					b.WriteByte(' ')
					space = true
				}
				continue
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			r = foldLatin(unicode.ToLower(r))
			if r == 0 {
				continue
			}
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		b.WriteRune(r)
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

// foldLatin strips the accent from a Latin letter (é → e) and drops
// combining marks on Latin text; other runes are returned unchanged.
func foldLatin(r rune) rune {
	if r < 0xc0 || r > 0x36f {
		return r
	}
	if r >= 0x300 { // combining diacritical marks
		return 0
	}
	d := norm.NFD.String(string(r))
	base, _ := utf8.DecodeRuneInString(d)
	return base
}

// ftsQuery turns what a person typed into an FTS5 query: every word must
// appear, as a prefix (so "کتاب" finds "کتابها"), and nothing typed is taken
// as FTS5 syntax.
func ftsQuery(q string) string {
	words := strings.Fields(searchText(q))
	for i, w := range words {
		words[i] = `"` + w + `"*`
	}
	return strings.Join(words, " ")
}
