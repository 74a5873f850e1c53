package feeds

import (
	"bytes"
	"fmt"
)

// MaxDepth is how deeply the elements of an XML feed may nest. Real feeds
// nest a dozen levels (XHTML content included); gofeed's extension parser
// recurses, and takes memory, per level, so a document of half a million
// nested elements would take gigabytes before it was refused.
const MaxDepth = 256

// checkDepth refuses an XML document whose elements nest deeper than max.
// It is a scan of the bytes, not a parse: comments, CDATA, processing
// instructions and declarations are skipped, quoted attribute values may
// hold '>', and a self-closing tag does not nest. A document too broken to
// scan is left to the parser to refuse.
func checkDepth(body []byte, max int) error {
	depth := 0
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := body[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipPast(body, i+4, "-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipPast(body, i+9, "]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipPast(body, i+2, "?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipPast(body, i+2, ">")
		case bytes.HasPrefix(rest, []byte("</")):
			depth = max0(depth - 1)
			i = skipPast(body, i+2, ">")
		default:
			end, selfClosing := tagEnd(body, i+1)
			if !selfClosing {
				depth++
				if depth > max {
					return &NotFeedError{Reason: fmt.Sprintf("its elements are nested more than %d deep, too deeply to be a feed", max)}
				}
			}
			i = end
		}
	}
	return nil
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}

// skipPast is the index after the first end at or after i, or len(body).
func skipPast(body []byte, i int, end string) int {
	if i >= len(body) {
		return len(body)
	}
	k := bytes.Index(body[i:], []byte(end))
	if k < 0 {
		return len(body)
	}
	return i + k + len(end)
}

// tagEnd finds the '>' closing a start tag that begins before i, outside
// quoted attribute values, and says whether the tag closes itself.
func tagEnd(body []byte, i int) (end int, selfClosing bool) {
	var quote byte
	for ; i < len(body); i++ {
		c := body[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1, body[i-1] == '/'
		}
	}
	return len(body), false
}

// checkJSONDepth refuses a JSON document whose objects and arrays nest
// deeper than max, so that it is refused in words ("nested too deeply")
// rather than in the JSON decoder's.
func checkJSONDepth(body []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > max {
				return &NotFeedError{Reason: fmt.Sprintf("its objects are nested more than %d deep, too deeply to be a feed", max)}
			}
		case c == '}' || c == ']':
			depth = max0(depth - 1)
		}
	}
	return nil
}
