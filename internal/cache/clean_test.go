package cache

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"testing"
)

// pngHeader is the start of a PNG claiming w x h pixels: all that
// image.DecodeConfig reads, and all a pixel bomb needs to be small.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestCheckImage(t *testing.T) {
	var small bytes.Buffer
	png.Encode(&small, image.NewRGBA(image.Rect(0, 0, 4, 3)))
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"a small png", small.Bytes(), true},
		{"a camera photo's size", pngHeader(6000, 4000), true},
		{"30,000 x 30,000", pngHeader(30000, 30000), false},
		{"one side too long", pngHeader(100000, 10), false},
		{"not an image this checks", []byte("<svg></svg>"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckImage(tt.data)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrImageTooLarge)) {
				t.Errorf("CheckImage: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// Whatever way an article comes in, control characters and addresses
// that are not web pages are not stored.
func TestSaveFetchCleansText(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	id := addFeed(t, s, "https://x/feed")
	_, err := s.SaveFetch(ctx, id, &Fetched{Name: "Feed\x1b]0;owned\x07", SiteURL: "javascript:alert(1)", Articles: []Article{
		{GUID: "1", Title: "Title\x1b[2J\x1b[31m red", Author: "A\u009bB", URL: "smb://evil.example/share", HTML: "<p>x\x1b[0m\ty\nz</p>", Text: "x\x1b[0m\ty\nz"},
		{GUID: "2", Title: "ok", URL: "data:text/html,<script>"},
		{GUID: "3", Title: "web", URL: "https://x/3"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := s.Source(ctx, id)
	if src.Name != "Feed]0;owned" || src.SiteURL != "" {
		t.Errorf("source: name %q, site %q", src.Name, src.SiteURL)
	}
	list, _ := s.Articles(ctx, Query{})
	byGUID := map[string]Article{}
	for _, sum := range list {
		a, err := s.Article(ctx, sum.ID)
		if err != nil {
			t.Fatal(err)
		}
		byGUID[a.GUID] = a
	}
	a := byGUID["1"]
	if a.Title != "Title[2J[31m red" || a.Author != "AB" || a.URL != "" || a.HTML != "<p>x[0m\ty\nz</p>" {
		t.Errorf("article 1: %q %q %q %q", a.Title, a.Author, a.URL, a.HTML)
	}
	if byGUID["2"].URL != "" || byGUID["3"].URL != "https://x/3" {
		t.Errorf("urls: %q %q", byGUID["2"].URL, byGUID["3"].URL)
	}
}
