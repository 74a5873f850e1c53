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
// articles costs a fraction of unicode61's. One pass, no allocation but
// the result.
func searchText(s string) string {
	b := make([]byte, 0, len(s))
	space := true // at the start, or after a separator already written
	sep := func() {
		if !space {
			b = append(b, ' ')
			space = true
		}
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			default:
				sep()
				continue
			}
			b = append(b, byte(r))
			space = false
			continue
		}
		switch {
		case r >= 0x600 && r <= 0x6ff: // Arabic script: Persian, Arabic, Urdu…
			switch {
			case r == 'ي' || r == 'ى':
				r = 'ی'
			case r == 'ك':
				r = 'ک'
			case r == 'ـ' || isArabicMark(r):
				continue
			case r >= '۰' && r <= '۹':
				r = '0' + r - '۰'
			case r >= '٠' && r <= '٩':
				r = '0' + r - '٠'
			case !arabicWordChar[r-0x600]:
				sep() // ، ؛ ؟ and the like
				continue
			}
		case r == '\u200c' || r == '\u200d':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			if r = foldLatin(unicode.ToLower(r)); r == 0 {
				continue
			}
		default:
			sep()
			continue
		}
		b = utf8.AppendRune(b, r)
		space = false
	}
	if space && len(b) > 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// arabicWordChar says which runes of the Arabic block (U+0600–U+06FF) are
// letters, digits or marks: a table, since searchText asks for every
// Persian letter of every article. Computed once; never written after.
var arabicWordChar = func() (t [256]bool) {
	for i := range t {
		r := rune(0x600 + i)
		t[i] = unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
	}
	return t
}()

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

// wordEndings are the common endings a search word matches with: Persian
// plurals, ezafe, comparatives and pronoun suffixes (written joined, or
// with a ZWNJ that the index drops), Arabic plurals, and English ones.
// "کتاب" finds "کتاب‌ها" and "کتابهای", "election" finds "elections".
var wordEndings = []string{"", "ها", "های", "هایی", "ی", "ای", "یی", "ان", "ات", "ین", "ون",
	"تر", "ترین", "ش", "م", "ت", "مان", "تان", "شان", "s", "es", "ed", "ing", "er", "ers"}

// ftsQuery turns what a person typed into an FTS5 query: every word must
// appear, whole or with one of its common endings; a word typed with a
// trailing * matches any ending. Nothing typed is taken as FTS5 syntax.
//
// Endings are spelled out rather than asked for with FTS5's prefix query:
// an OR of exact words is read lazily in the index's newest-first order and
// stops after the first page, where a prefix query first gathers every
// match of every word with that prefix (75 ms for a word in every one of
// 100,000 articles, against 2 ms).
func ftsQuery(q string) string {
	var parts []string
	for _, raw := range strings.Fields(q) {
		star := strings.HasSuffix(raw, "*")
		words := strings.Fields(searchText(raw))
		for i, w := range words {
			if star && i == len(words)-1 {
				parts = append(parts, `"`+w+`"*`)
				continue
			}
			alts := make([]string, len(wordEndings))
			for j, e := range wordEndings {
				alts[j] = `"` + w + e + `"`
			}
			parts = append(parts, "("+strings.Join(alts, " OR ")+")")
		}
	}
	return strings.Join(parts, " AND ")
}
