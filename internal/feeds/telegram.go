package feeds

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/transport"
)

// Telegram public channels are read from their web preview,
// https://t.me/s/<channel>: no account, no API, no server of ours.

// TelegramHost is where channel previews live.
const TelegramHost = "https://t.me"

// telegramAltHosts serve the same previews as t.me, under other names: a
// censor that resets t.me by its name often leaves these. They are tried
// as built-in mirrors of every channel on t.me.
var telegramAltHosts = []string{"https://telegram.me", "https://telegram.dog"}

// channelAlternatives are the other addresses of a channel's page: the
// reader's mirrors, then (for a channel on t.me) Telegram's other names.
func channelAlternatives(host, channel string, mirrors []string, before int64) []string {
	var out []string
	for _, m := range mirrors {
		out = append(out, ChannelURL(channelMirrorBase(m, channel), channel, before))
	}
	if strings.EqualFold(strings.TrimSuffix(host, "/"), TelegramHost) {
		for _, h := range telegramAltHosts {
			out = append(out, ChannelURL(h, channel, before))
		}
	}
	return out
}

// telegramMedia matches Telegram's two media host families.
var telegramMedia = regexp.MustCompile(`^cdn(\d{1,2})\.(telesco\.pe|cdn-telegram\.org)$`)

// telegramMediaAlt is the same file on Telegram's other media host
// (cdnN.telesco.pe and cdnN.cdn-telegram.org serve the same), or "".
func telegramMediaAlt(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return ""
	}
	m := telegramMedia.FindStringSubmatch(strings.ToLower(u.Hostname()))
	if m == nil {
		return ""
	}
	other := "telesco.pe"
	if m[2] == "telesco.pe" {
		other = "cdn-telegram.org"
	}
	alt := *u
	alt.Host = "cdn" + m[1] + "." + other
	return alt.String()
}

var channelName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)

// ParseChannel reads a channel as typed: @name, t.me/name, t.me/s/name,
// https://t.me/name, https://t.me/s/name. It reports false for anything
// else.
func ParseChannel(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "@"):
		s = s[1:]
	default:
		bare := strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
		rest, ok := strings.CutPrefix(bare, "t.me/")
		if !ok {
			rest, ok = strings.CutPrefix(bare, "telegram.me/")
		}
		if !ok {
			rest, ok = strings.CutPrefix(bare, "telegram.dog/")
		}
		if !ok {
			return "", false
		}
		rest = strings.TrimPrefix(rest, "s/")
		s, _, _ = strings.Cut(rest, "/")
		s, _, _ = strings.Cut(s, "?")
	}
	if !channelName.MatchString(s) {
		return "", false
	}
	return s, true
}

// ChannelURL is a channel's preview page on host (TelegramHost or a
// mirror of it), before a post ID when before > 0.
func ChannelURL(host, channel string, before int64) string {
	u := strings.TrimSuffix(host, "/") + "/s/" + channel
	if before > 0 {
		u += "?before=" + strconv.FormatInt(before, 10)
	}
	return u
}

// channelOf is the channel of a source's URL (https://t.me/s/name).
func channelOf(sourceURL string) (string, bool) {
	u, err := url.Parse(sourceURL)
	if err != nil {
		return "", false
	}
	name, ok := strings.CutPrefix(u.Path, "/s/")
	if !ok || !channelName.MatchString(name) {
		return "", false
	}
	return name, true
}

// ErrChannel is a channel page Kabootar cannot read.
var ErrChannel = errors.New("cannot read the channel")

// ErrNoPreview is a channel without a public preview: private, or its
// preview turned off. Telegram then shows a page to join it instead.
var ErrNoPreview = errors.New("the channel has no public preview")

// ChannelError says why a channel page cannot be read.
type ChannelError struct {
	Reason    string
	NoPreview bool // the channel has no public preview (ErrNoPreview)
}

func (e *ChannelError) Error() string { return "cannot read the channel: " + e.Reason }
func (e *ChannelError) Is(target error) bool {
	return target == ErrChannel || (e.NoPreview && target == ErrNoPreview)
}

// noPreview is the error for a channel that shows a join page.
var noPreview = &ChannelError{NoPreview: true, Reason: "it has no public preview (it is private, or its web preview is disabled, " +
	"and Telegram shows a page to join it instead); follow it through a bridge (telegram:NAME) or a mirror that carries it (--mirror)"}

// ChannelPage is one page of a channel's preview.
type ChannelPage struct {
	Title       string
	Description string
	Posts       []Post
	// Before is the ID to ask for older posts with, 0 at the channel's start.
	Before int64
}

// Post is one channel post.
type Post struct {
	Channel       string
	ID            int64
	HTML          string // the text's markup, unsanitised
	Date          time.Time
	Photos        []string
	Video         string
	VideoThumb    string // the video's first frame, kept offline like a photo
	PreviewURL    string
	PreviewImage  string // the link preview's picture
	PreviewTitle  string
	PreviewText   string
	ForwardedFrom string
	Author        string
	Views         string
	// Media names what a post holds besides text and pictures (a sticker,
	// a voice message, a file…), so that such a post is not empty.
	Media string
}

var backgroundURL = regexp.MustCompile(`background-image:\s*url\(['"]?([^'")]+)['"]?\)`)

// ParseChannelPage reads a channel preview page. A page fetched from
// finalURL outside /s/ is a disabled preview; a page without posts, or in a
// layout Kabootar does not know, is an error, never an empty success.
func ParseChannelPage(body []byte, finalURL string) (*ChannelPage, error) {
	if u, err := url.Parse(finalURL); err == nil && !strings.Contains(u.Path, "/s/") {
		return nil, noPreview
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		return nil, &ChannelError{Reason: "the page does not parse: " + err.Error()}
	}
	page := &ChannelPage{
		Title:       strings.TrimSpace(doc.Find(".tgme_channel_info_header_title").First().Text()),
		Description: strings.TrimSpace(doc.Find(".tgme_channel_info_description").First().Text()),
	}
	if b, ok := doc.Find("a.tme_messages_more[data-before]").Attr("data-before"); ok {
		page.Before, _ = strconv.ParseInt(b, 10, 64)
	}
	doc.Find("div.tgme_widget_message[data-post]").Each(func(_ int, m *goquery.Selection) {
		if p, ok := parsePost(m); ok {
			page.Posts = append(page.Posts, p)
		}
	})
	switch {
	case len(page.Posts) > 0:
		return page, nil
	case doc.Find(".tgme_widget_message").Length() == 0 && doc.Find(".tgme_page_action, .tgme_action_button_new, .tgme_page_title").Length() > 0:
		// The page to join a channel (or contact a person), not a preview.
		return nil, noPreview
	case page.Title == "" && doc.Find(".tgme_widget_message").Length() == 0:
		return nil, &ChannelError{Reason: "the page is not in the layout Kabootar knows (Telegram may have changed it); please report it"}
	default:
		return nil, &ChannelError{Reason: "the channel shows no public posts"}
	}
}

func parsePost(m *goquery.Selection) (Post, bool) {
	dp, _ := m.Attr("data-post")
	ch, idText, ok := strings.Cut(dp, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 {
		return Post{}, false
	}
	p := Post{Channel: ch, ID: id}
	if h, err := m.Find(".tgme_widget_message_text").First().Html(); err == nil {
		p.HTML = strings.TrimSpace(h)
	}
	if dt, ok := m.Find("a.tgme_widget_message_date time[datetime]").Attr("datetime"); ok {
		p.Date, _ = time.Parse(time.RFC3339, dt)
	}
	m.Find("a.tgme_widget_message_photo_wrap").Each(func(_ int, ph *goquery.Selection) {
		if u := backgroundOf(ph); u != "" {
			p.Photos = append(p.Photos, u)
		}
	})
	p.Video, _ = m.Find("video.tgme_widget_message_video[src]").Attr("src")
	p.VideoThumb = backgroundOf(m.Find(".tgme_widget_message_video_thumb").First())
	lp := m.Find("a.tgme_widget_message_link_preview").First()
	p.PreviewImage = backgroundOf(lp.Find(".link_preview_image, .link_preview_right_image").First())
	p.PreviewURL, _ = lp.Attr("href")
	p.PreviewTitle = strings.TrimSpace(lp.Find(".link_preview_title").Text())
	p.PreviewText = strings.TrimSpace(lp.Find(".link_preview_description").Text())
	p.ForwardedFrom = strings.TrimSpace(m.Find(".tgme_widget_message_forwarded_from_name").First().Text())
	p.Author = strings.TrimSpace(m.Find(".tgme_widget_message_from_author").First().Text())
	p.Views = strings.TrimSpace(m.Find(".tgme_widget_message_views").First().Text())
	// What a post without text or pictures holds, to say in a line.
	switch {
	case m.Find(".tgme_widget_message_sticker, .tgme_widget_message_sticker_wrap").Length() > 0:
		p.Media = "Sticker"
	case m.Find(".tgme_widget_message_voice, .tgme_widget_message_voice_player").Length() > 0:
		p.Media = "Voice message"
	case m.Find(".tgme_widget_message_roundvideo, .tgme_widget_message_roundvideo_player").Length() > 0:
		p.Media = "Video message"
	case m.Find(".tgme_widget_message_document_title").Length() > 0:
		p.Media = "File: " + strings.TrimSpace(m.Find(".tgme_widget_message_document_title").First().Text())
	case m.Find(".tgme_widget_message_poll_question").Length() > 0:
		p.Media = "Poll: " + strings.TrimSpace(m.Find(".tgme_widget_message_poll_question").First().Text())
	case m.Find(".tgme_widget_message_location_wrap, .tgme_widget_message_location").Length() > 0:
		p.Media = "Location"
	case m.Find(".message_media_not_supported").Length() > 0:
		p.Media = "A post that only the Telegram app shows"
	}
	return p, true
}

// backgroundOf is the image of an element drawn as its CSS background.
func backgroundOf(s *goquery.Selection) string {
	if st, ok := s.Attr("style"); ok {
		if mm := backgroundURL.FindStringSubmatch(st); mm != nil {
			return mm[1]
		}
	}
	return ""
}

// postArticle turns a post into an article: its first line for a title,
// its text, photos, video and link preview as sanitised content.
func (p *Parser) postArticle(post Post) cache.Article {
	var b strings.Builder
	if post.ForwardedFrom != "" {
		fmt.Fprintf(&b, "<p><i>%s</i></p>", escapeText("↪ "+post.ForwardedFrom))
	}
	if post.HTML != "" {
		fmt.Fprintf(&b, `<div dir="auto">%s</div>`, post.HTML)
	}
	for _, ph := range post.Photos {
		fmt.Fprintf(&b, `<p><img src="%s"></p>`, escapeText(ph))
	}
	if post.VideoThumb != "" {
		fmt.Fprintf(&b, `<p><img src="%s"></p>`, escapeText(post.VideoThumb))
	}
	if post.Video != "" {
		fmt.Fprintf(&b, `<p><a href="%s">%s</a></p>`, escapeText(post.Video), escapeText("▶ video"))
	}
	if post.PreviewURL != "" {
		fmt.Fprintf(&b, `<blockquote><a href="%s">%s</a><br>%s`, escapeText(post.PreviewURL),
			escapeText(firstNonBlank(post.PreviewTitle, post.PreviewURL)), escapeText(post.PreviewText))
		if post.PreviewImage != "" {
			fmt.Fprintf(&b, `<br><img src="%s">`, escapeText(post.PreviewImage))
		}
		b.WriteString(`</blockquote>`)
	}
	if post.Media != "" && post.HTML == "" {
		fmt.Fprintf(&b, `<p>%s</p>`, escapeText("["+post.Media+"]"))
	}
	link := TelegramHost + "/" + post.Channel + "/" + strconv.FormatInt(post.ID, 10)
	base, _ := url.Parse(link)
	a := cache.Article{GUID: "tg:" + post.Channel + "/" + strconv.FormatInt(post.ID, 10), URL: link}
	w := walkHTML(p.policy.Sanitize(b.String()), base)
	a.HTML, a.Text, a.HasImages, a.Images = w.html, w.text, w.hasImage, w.images
	first, _, _ := strings.Cut(strings.TrimSpace(a.Text), "\n")
	a.Title = firstWords(strings.TrimPrefix(first, "↪ "), 100)
	if post.ForwardedFrom != "" {
		// The first line is the forward's origin; the post's own comes next.
		lines := strings.Split(a.Text, "\n")
		if len(lines) > 1 {
			a.Title = firstWords(lines[1], 100)
		}
	}
	if a.Title == "" {
		a.Title = fmt.Sprintf("%s #%d", post.Channel, post.ID)
	}
	a.Author = firstNonBlank(post.Author, post.ForwardedFrom)
	if !post.Date.IsZero() {
		a.Published = dateOf(&post.Date, nil, p.now())
	}
	a.Dir = direction(a.Title, a.Text)
	a.PrepareSearch()
	return a
}

func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// FindChannel checks that a channel's preview can be read, on host or its
// mirrors, and returns the source to follow. A channel Telegram will not
// show (a disabled preview, no posts) is an error; one that cannot be
// reached now is returned with Unreachable set.
func (p *Parser) FindChannel(ctx context.Context, f Fetcher, host, channel string, mirrors []string) (Found, error) {
	u := ChannelURL(host, channel, 0)
	req := &transport.Request{URL: u, Accept: "text/html", Check: func(r *transport.Response) error {
		page, err := ParseChannelPage(r.Body, r.FinalURL)
		r.Parsed = page
		return err
	}}
	req.Alternatives = channelAlternatives(host, channel, mirrors, 0)
	resp, err := f.Fetch(ctx, req)
	if err != nil {
		if errors.Is(err, ErrChannel) {
			return Found{}, fmt.Errorf("@%s: %w", channel, err)
		}
		return Found{URL: u, Unreachable: err}, nil
	}
	page := resp.Parsed.(*ChannelPage)
	return Found{URL: u, Title: page.Title, SiteURL: strings.TrimSuffix(host, "/") + "/" + channel}, nil
}
