package cache

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"html"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kabootar/kabootar/internal/keys"
)

// A bundle is saved news in one file, to pass from hand to hand when the
// network is gone: the sources (names, addresses and mirrors; never
// settings or proxy passwords), their articles and the articles' images.
// It is a zip: manifest.json, articles.jsonl (an article a line) and
// media/<sha256> with media.json naming each image's URL. From version 2
// the manifest lists the SHA-256 and size of articles.jsonl and
// media.json (an image is named by its own hash) and, when signed, the
// signer's public key; manifest.sig is the signer's Ed25519 signature of
// manifest.json's bytes. Nothing in a signed bundle can change without
// its signature failing.
const (
	bundleFormat  = "kabootar-bundle"
	bundleVersion = 2
)

// Limits on what an imported bundle may hold: a bundle is hostile input.
const (
	maxBundleManifest = 16 << 20
	maxBundleLine     = 4 << 20 // one article's JSON
	// One article's HTML: a long report is a few hundred KB; past this it
	// is not an article, and its sanitising would take memory for nothing.
	maxBundleArticleHTML = 2 << 20
	// An import's batch is stored when it holds this much HTML (or 500
	// articles), so memory stays bounded however the articles are sized.
	maxBundleBatchBytes = 8 << 20
	maxBundleArticles   = 1_000_000
	maxBundleMedia      = 5 << 20 // one image, as when fetched
	maxBundleTitle      = 2000
	maxBundleName       = 500
	// A zip can hold parts that inflate a thousandfold: whatever the file's
	// size, one import writes at most this much article HTML, and images
	// up to the media budget.
	maxBundleHTMLTotal = 2 << 30
)

// ErrBadBundle is a file that is not a bundle Kabootar can read.
var ErrBadBundle = errors.New("not a Kabootar bundle of saved news")

// ErrBadSignature is a signed bundle whose signature or contents do not
// match: it was changed after it was signed, or forged. It wraps
// ErrBadBundle.
var ErrBadSignature = fmt.Errorf("%w: it was changed after it was signed, or its signature is not its signer's; nothing was imported", ErrBadBundle)

type bundleManifest struct {
	Format   string         `json:"format"`
	Version  int            `json:"version"`
	Created  time.Time      `json:"created"`
	Sources  []bundleSource `json:"sources"`
	Articles int            `json:"articles"`
	// Version 2:
	Signer string       `json:"signer,omitempty"` // keys.PublicKey's text form
	Parts  []bundlePart `json:"parts,omitempty"`
}

// bundlePart is one part of the zip, as the manifest vouches for it.
type bundlePart struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

type bundleSource struct {
	Key     int      `json:"key"`
	Kind    string   `json:"kind"`
	URL     string   `json:"url"`
	Name    string   `json:"name"`
	SiteURL string   `json:"site_url,omitempty"`
	Mirrors []string `json:"mirrors,omitempty"`
}

type bundleArticle struct {
	Source    int      `json:"source"`
	GUID      string   `json:"guid,omitempty"`
	URL       string   `json:"url,omitempty"`
	Title     string   `json:"title"`
	Author    string   `json:"author,omitempty"`
	Published int64    `json:"published"`
	HTML      string   `json:"html"`
	Dir       string   `json:"dir,omitempty"`
	Media     []string `json:"media,omitempty"`
}

type bundleMedia struct {
	URL  string `json:"url"`
	Hash string `json:"hash"`
	MIME string `json:"mime"`
}

// Signer signs bundles (keys.Identity).
type Signer interface {
	Public() keys.PublicKey
	Sign(msg []byte) []byte
}

// BundleOptions choose what a bundle holds: every source when SourceIDs
// is empty; articles published since Since when it is set.
type BundleOptions struct {
	SourceIDs []int64
	Since     time.Time
	// AfterID, when set, keeps only the articles stored after that one
	// (BundleStats.LastID of the previous export): an incremental bundle.
	// Incremental bundles list only the sources they hold articles of.
	AfterID int64
	// ImagesSince, with AfterID, also sends again the articles up to
	// AfterID that gained images since then (the previous export's
	// time): an article often goes out before its images came, and
	// without this they would never follow it.
	ImagesSince time.Time
	// OwnOnly leaves out the articles that came in bundles: what the
	// share folder sends is what this reader fetched.
	OwnOnly bool
	// Signer signs the bundle; nil leaves it unsigned.
	Signer Signer
}

// BundleStats says what an export wrote or an import added.
type BundleStats struct {
	Sources     int // exported; or new on import
	Articles    int // exported; or new on import
	Existing    int // on import: articles already here, left as they were
	Media       int
	MediaBytes  int64
	SourcesSeen int // on import: sources in the bundle
	// LastID is the newest article an export looked at: the next
	// incremental export starts after it.
	LastID int64
	// Signer signed the bundle written or read (nil: unsigned).
	Signer keys.PublicKey
}

// BundleInfo is what a verified bundle says of itself, for the reader to
// decide on before anything is written.
type BundleInfo struct {
	// ID is the SHA-256 of its manifest: the same bundle has the same ID.
	ID string
	// Signer is the key that signed it, verified; nil when unsigned.
	Signer   keys.PublicKey
	Created  time.Time
	Sources  []string // their names
	Articles int
	Media    int
	// ReadAt is when this same bundle was imported before (zero: never).
	ReadAt time.Time
}

// ExportBundle writes a bundle of saved news to w.
func (s *Store) ExportBundle(ctx context.Context, w io.Writer, opt BundleOptions) (BundleStats, error) {
	var st BundleStats
	srcs, err := s.Sources(ctx)
	if err != nil {
		return st, err
	}
	want := map[int64]bool{}
	for _, id := range opt.SourceIDs {
		want[id] = true
	}
	man := bundleManifest{Format: bundleFormat, Version: bundleVersion, Created: s.now().UTC()}
	var chosen []bundleSource
	for _, src := range srcs {
		if len(want) > 0 && !want[src.ID] {
			continue
		}
		chosen = append(chosen, bundleSource{Key: int(src.ID), Kind: src.Kind, URL: src.URL,
			Name: src.Name, SiteURL: src.SiteURL, Mirrors: src.Mirrors})
	}
	for id := range want {
		if !slices.ContainsFunc(chosen, func(b bundleSource) bool { return int64(b.Key) == id }) {
			return st, fmt.Errorf("source %d: %w", id, ErrNotFound)
		}
	}
	// The articles stored by now, and none after: the next incremental
	// export starts where this one looked.
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM articles`).Scan(&st.LastID); err != nil {
		return st, classify(err)
	}
	filter := exportFilter{since: opt.Since.Unix(), after: opt.AfterID, upTo: st.LastID, ownOnly: opt.OwnOnly}
	if opt.Since.IsZero() {
		filter.since = math.MinInt64
	}

	zw := zip.NewWriter(w)
	arts, err := zw.Create("articles.jsonl")
	if err != nil {
		return st, err
	}
	artsPart := newPartWriter("articles.jsonl", arts)
	enc := json.NewEncoder(artsPart)
	enc.SetEscapeHTML(false)
	media := map[string]bundleMedia{} // by URL
	incremental := opt.AfterID > 0 || opt.OwnOnly
	for _, src := range chosen {
		n := 0
		each := func(a bundleArticle) error {
			n++
			return enc.Encode(a)
		}
		if err := s.exportSource(ctx, int64(src.Key), filter, media, each); err != nil {
			return st, err
		}
		if opt.AfterID > 0 && !opt.ImagesSince.IsZero() {
			if err := s.exportLateImages(ctx, int64(src.Key), filter, opt.ImagesSince.Unix(), media, each); err != nil {
				return st, err
			}
		}
		st.Articles += n
		if n > 0 || !incremental {
			man.Sources = append(man.Sources, src)
		}
	}
	st.Sources = len(man.Sources)
	man.Articles = st.Articles

	index := make([]bundleMedia, 0, len(media))
	written := map[string]bool{}
	for _, m := range media {
		index = append(index, m)
		if written[m.Hash] {
			continue
		}
		written[m.Hash] = true
		var data []byte
		if err := s.db.QueryRowContext(ctx, `SELECT data FROM blobs WHERE hash = ?`, m.Hash).Scan(&data); err != nil {
			return st, classify(err)
		}
		// Images are compressed already: stored, not deflated again.
		f, err := zw.CreateHeader(&zip.FileHeader{Name: "media/" + m.Hash, Method: zip.Store})
		if err != nil {
			return st, err
		}
		if _, err := f.Write(data); err != nil {
			return st, err
		}
		st.Media++
		st.MediaBytes += int64(len(data))
	}
	f, err := zw.Create("media.json")
	if err != nil {
		return st, err
	}
	mediaPart := newPartWriter("media.json", f)
	if err := json.NewEncoder(mediaPart).Encode(index); err != nil {
		return st, err
	}
	man.Parts = []bundlePart{artsPart.part(), mediaPart.part()}
	if opt.Signer != nil {
		st.Signer = opt.Signer.Public()
		man.Signer = st.Signer.String()
	}
	manBytes, err := json.Marshal(man)
	if err != nil {
		return st, err
	}
	if f, err = zw.Create("manifest.json"); err == nil {
		_, err = f.Write(manBytes)
	}
	if err != nil {
		return st, err
	}
	if opt.Signer != nil {
		if f, err = zw.Create("manifest.sig"); err == nil {
			_, err = io.WriteString(f, base64.StdEncoding.EncodeToString(opt.Signer.Sign(manBytes)))
		}
		if err != nil {
			return st, err
		}
	}
	return st, zw.Close()
}

// partWriter writes a part of a bundle, counting and hashing it for the
// manifest.
type partWriter struct {
	name string
	w    io.Writer
	h    hash.Hash
	n    int64
}

func newPartWriter(name string, w io.Writer) *partWriter {
	return &partWriter{name: name, w: w, h: sha256.New()}
}

func (p *partWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.h.Write(b[:n])
	p.n += int64(n)
	return n, err
}

func (p *partWriter) part() bundlePart {
	return bundlePart{Name: p.name, Size: p.n, SHA256: hex.EncodeToString(p.h.Sum(nil))}
}

// exportPage is how many articles export reads at a time: a source's
// articles are never all in memory at once.
const exportPage = 200

// exportFilter is which articles an export takes: published since since,
// stored after after and up to upTo, and fetched here when ownOnly.
type exportFilter struct {
	since       int64
	after, upTo int64
	ownOnly     bool
}

// exportSource gives each article of a source that the filter takes,
// oldest first, a page at a time.
func (s *Store) exportSource(ctx context.Context, sourceID int64, f exportFilter, media map[string]bundleMedia, each func(bundleArticle) error) error {
	type row struct {
		id int64
		a  bundleArticle
	}
	lastPub, lastID := f.since, int64(-1)
	page := make([]row, 0, exportPage)
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.guid, a.url, a.title, a.author, a.published, a.html, a.dir
			FROM articles a WHERE a.source_id = ? AND (a.published, a.id) > (?, ?) AND a.id > ? AND a.id <= ?
			AND (NOT ? OR a.via = '') ORDER BY a.published, a.id LIMIT ?`,
			sourceID, lastPub, lastID, f.after, f.upTo, f.ownOnly, exportPage)
		if err != nil {
			return classify(err)
		}
		page = page[:0]
		for rows.Next() {
			x := row{a: bundleArticle{Source: int(sourceID)}}
			if err := rows.Scan(&x.id, &x.a.GUID, &x.a.URL, &x.a.Title, &x.a.Author, &x.a.Published, &x.a.HTML, &x.a.Dir); err != nil {
				rows.Close()
				return err
			}
			page = append(page, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return classify(err)
		}
		for _, x := range page {
			urls, err := s.storedMedia(ctx, x.id, media)
			if err != nil {
				return err
			}
			x.a.Media = urls
			if err := each(x.a); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		lastPub, lastID = page[len(page)-1].a.Published, page[len(page)-1].id
	}
}

// exportLateImages gives each article of a source sent before (up to
// f.after) that gained an image at since or later, a page at a time.
func (s *Store) exportLateImages(ctx context.Context, sourceID int64, f exportFilter, since int64, media map[string]bundleMedia, each func(bundleArticle) error) error {
	lastID := int64(0)
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.guid, a.url, a.title, a.author, a.published, a.html, a.dir
			FROM articles a WHERE a.source_id = ? AND a.id > ? AND a.id <= ? AND a.published >= ? AND (NOT ? OR a.via = '')
			AND EXISTS (SELECT 1 FROM article_media am JOIN media m ON m.id = am.media_id
				WHERE am.article_id = a.id AND m.blob_id IS NOT NULL AND m.fetched >= ?)
			ORDER BY a.id LIMIT ?`, sourceID, lastID, f.after, f.since, f.ownOnly, since, exportPage)
		if err != nil {
			return classify(err)
		}
		var page []bundleArticle
		var ids []int64
		for rows.Next() {
			a := bundleArticle{Source: int(sourceID)}
			var id int64
			if err := rows.Scan(&id, &a.GUID, &a.URL, &a.Title, &a.Author, &a.Published, &a.HTML, &a.Dir); err != nil {
				rows.Close()
				return err
			}
			page, ids = append(page, a), append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return classify(err)
		}
		for i, a := range page {
			if a.Media, err = s.storedMedia(ctx, ids[i], media); err != nil {
				return err
			}
			if err := each(a); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		lastID = ids[len(ids)-1]
	}
}

// storedMedia lists the URLs of an article's stored images, adding each to
// media.
func (s *Store) storedMedia(ctx context.Context, articleID int64, media map[string]bundleMedia) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT m.url, b.hash, b.mime FROM article_media am
		JOIN media m ON m.id = am.media_id JOIN blobs b ON b.id = m.blob_id WHERE am.article_id = ?`, articleID)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var urls []string
	for rows.Next() {
		var m bundleMedia
		if err := rows.Scan(&m.URL, &m.Hash, &m.MIME); err != nil {
			return nil, err
		}
		media[m.URL] = m
		urls = append(urls, m.URL)
	}
	return urls, classify(rows.Err())
}

// Clean makes an imported article's HTML safe and gives its text, as a
// fetched article's would be (the feeds package's sanitiser).
type Clean func(html string) (safe, text string)

// ImportRules are what a bundle's contents must obey that the cache does
// not decide: the sanitiser, what a bridge source is (feeds has both),
// and whether the reader takes this bundle.
type ImportRules struct {
	Clean    Clean
	IsBridge func(source string) bool
	// Accept is asked, once the bundle is read whole and its signature
	// verified and before anything is written, whether to import it; an
	// error refuses it and is returned. Nil takes every bundle.
	Accept func(BundleInfo) error
}

// ImportBundle adds a bundle's sources and articles: a source already
// followed (same URL) takes the articles it lacks; an article already
// here is left as it is. The whole bundle is read and checked (and a
// signed one verified) before anything is written, so a bad file
// changes nothing.
// It is long on purpose: reading, checking and writing are one sequence
// over the same maps, and cut apart they would pass them all around.
func (s *Store) ImportBundle(ctx context.Context, r io.ReaderAt, size int64, rules ImportRules) (BundleStats, error) {
	var st BundleStats
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return st, fmt.Errorf("%w: %v", ErrBadBundle, err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if files[f.Name] != nil {
			return st, fmt.Errorf("%w: it holds %s twice", ErrBadBundle, f.Name)
		}
		files[f.Name] = f
	}
	if files["manifest.json"] == nil {
		return st, fmt.Errorf("%w: it has no manifest", ErrBadBundle)
	}
	manBytes, err := readBundleFile(files["manifest.json"], maxBundleManifest)
	if err != nil {
		return st, err
	}
	var man bundleManifest
	if err := json.Unmarshal(manBytes, &man); err != nil {
		return st, fmt.Errorf("%w: manifest.json: %v", ErrBadBundle, err)
	}
	if man.Format != bundleFormat {
		return st, fmt.Errorf("%w: its manifest says %q", ErrBadBundle, man.Format)
	}
	if man.Version > bundleVersion {
		return st, fmt.Errorf("%w: it was written by a newer Kabootar (bundle version %d); update Kabootar to read it", ErrBadBundle, man.Version)
	}
	sum := sha256.Sum256(manBytes)
	info := BundleInfo{ID: hex.EncodeToString(sum[:]), Created: man.Created, Articles: man.Articles}
	parts := map[string]bundlePart{}
	if man.Version >= 2 {
		if parts, err = checkParts(files, man); err != nil {
			return st, err
		}
		if man.Signer != "" {
			if info.Signer, err = verifyManifest(files, man.Signer, manBytes); err != nil {
				return st, err
			}
		}
	}
	st.Signer = info.Signer
	keys := map[int]bundleSource{}
	for _, src := range man.Sources {
		if err := checkBundleSource(src, rules.IsBridge); err != nil {
			return st, fmt.Errorf("%w: source %q: %v", ErrBadBundle, src.Name, err)
		}
		if _, dup := keys[src.Key]; dup {
			return st, fmt.Errorf("%w: source key %d is listed twice", ErrBadBundle, src.Key)
		}
		keys[src.Key] = src
		info.Sources = append(info.Sources, src.Name)
	}
	st.SourcesSeen = len(keys)
	var index []bundleMedia
	if f := files["media.json"]; f != nil {
		data, err := readBundleFile(f, maxBundleManifest)
		if err != nil {
			return st, err
		}
		if err := checkPart(parts, "media.json", data); err != nil {
			return st, err
		}
		if err := json.Unmarshal(data, &index); err != nil {
			return st, fmt.Errorf("%w: media.json: %v", ErrBadBundle, err)
		}
	}
	media := map[string]bundleMedia{}
	for _, m := range index {
		if files["media/"+m.Hash] == nil || !strings.HasPrefix(m.MIME, "image/") {
			continue // not in the file, or not an image: the article reads without it
		}
		media[m.URL] = m
	}
	if man.Version >= 2 {
		// Every image is read once here: in a bundle that vouches for its
		// parts, one changed image refuses the whole.
		n, err := checkMedia(files)
		if err != nil {
			return st, err
		}
		info.Media = n
	}

	// Check every article first: a bad line rejects the bundle whole.
	count := 0
	check := func(a bundleArticle) error {
		if _, ok := keys[a.Source]; !ok {
			return fmt.Errorf("an article of source %d, which the manifest does not list", a.Source)
		}
		if count++; count > maxBundleArticles {
			return fmt.Errorf("more than %d articles", maxBundleArticles)
		}
		if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.HTML) == "" {
			return errors.New("an article with neither title nor text")
		}
		if len(a.Title) > maxBundleTitle || len(a.Author) > maxBundleName || len(a.GUID) > maxBundleTitle || len(a.URL) > maxBundleTitle {
			return errors.New("an article's title, author or address is too long")
		}
		if len(a.HTML) > maxBundleArticleHTML {
			return fmt.Errorf("an article of more than %d MB", maxBundleArticleHTML>>20)
		}
		return nil
	}
	var htmlTotal int64
	artsHash := newPartWriter("articles.jsonl", io.Discard)
	if err := eachBundleArticle(files["articles.jsonl"], artsHash, func(a bundleArticle) error {
		if err := check(a); err != nil {
			return fmt.Errorf("%w: %v", ErrBadBundle, err)
		}
		if htmlTotal += int64(len(a.HTML)); htmlTotal > maxBundleHTMLTotal {
			return fmt.Errorf("%w: more than %d GB of articles", ErrBadBundle, maxBundleHTMLTotal>>30)
		}
		return nil
	}); err != nil {
		return st, err
	}
	if man.Version >= 2 {
		if got, want := artsHash.part(), parts["articles.jsonl"]; got != want {
			return st, fmt.Errorf("%w (articles.jsonl differs from its manifest)", ErrBadSignature)
		}
		if count != man.Articles {
			return st, fmt.Errorf("%w (its manifest counts %d articles, it holds %d)", ErrBadSignature, man.Articles, count)
		}
	}
	info.Articles = count
	if info.ReadAt, err = s.bundleRead(ctx, info.ID); err != nil {
		return st, err
	}
	if rules.Accept != nil {
		if err := rules.Accept(info); err != nil {
			return st, err
		}
	}
	mb, err := s.intSetting(ctx, SettingMediaBudgetMB, DefaultMediaBudgetMB)
	if err != nil {
		return st, err
	}
	mediaRoom := int64(mb) << 20

	// Sources: the ones followed already are matched by URL.
	ids := map[int]int64{}
	existing, err := s.Sources(ctx)
	if err != nil {
		return st, err
	}
	byURL := map[string]int64{}
	for _, src := range existing {
		byURL[src.URL] = src.ID
	}
	for _, src := range man.Sources {
		if id, ok := byURL[src.URL]; ok {
			ids[src.Key] = id
			continue
		}
		id, err := s.AddSource(ctx, Source{Kind: src.Kind, URL: src.URL, Name: src.Name, SiteURL: src.SiteURL, Mirrors: src.Mirrors})
		if err != nil {
			return st, err
		}
		ids[src.Key] = id
		byURL[src.URL] = id
		st.Sources++
	}

	// Then the articles again, stored a batch at a time (a transaction
	// each), so that memory stays bounded whatever the bundle's size. Each
	// new article remembers the bundle it came in.
	via := viaUnsigned
	if info.Signer != nil {
		via = info.Signer.String()
	}
	now := s.now()
	var batch []Article
	var wants [][]string
	// Articles here already that the bundle brings images for: sent
	// again because their images came after them.
	type late struct {
		a    Article
		urls []string
	}
	var lates []late
	var batchSource int64
	var batchBytes int
	flushLate := func() error {
		var results []MediaResult
		var ids []int64
		var held int64 // bytes of images not yet stored
		for _, l := range lates {
			got, size, err := s.lateImages(ctx, files, media, batchSource, l.a, l.urls, mediaRoom-st.MediaBytes)
			if err != nil {
				return err
			}
			results = append(results, got...)
			st.Media += len(got)
			st.MediaBytes += size
			if len(got) > 0 {
				ids = append(ids, got[0].ArticleID)
			}
			if held += size; held >= maxBundleBatchBytes { // a few MB a transaction, as for new articles
				if err := s.SaveMedia(ctx, results, nil); err != nil {
					return err
				}
				results, held = results[:0], 0
			}
		}
		lates = lates[:0]
		if err := s.SaveMedia(ctx, results, nil); err != nil {
			return err
		}
		return s.settleLateImages(ctx, ids)
	}
	flush := func() error {
		batchBytes = 0
		if err := flushLate(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		var res SaveResult
		err := s.tx(ctx, func(tx *sql.Tx) error {
			res = SaveResult{}
			// New rows get IDs past the largest (the write lock is held).
			var before int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM articles`).Scan(&before); err != nil {
				return err
			}
			if err := upsertAll(ctx, tx, batchSource, batch, now, &res); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE articles SET via = ?, via_at = ? WHERE id > ? AND source_id = ?`,
				via, man.Created.Unix(), before, batchSource)
			return err
		})
		if err != nil {
			return err
		}
		st.Articles += res.New
		st.Existing += len(batch) - res.New
		// The batch's images, stored a few MB per transaction (as a
		// refresh stores them), not one transaction each.
		var pending []MediaResult
		var pendingBytes int
		for i, a := range batch {
			got, size, err := s.importMedia(ctx, files, media, batchSource, a, wants[i], mediaRoom-st.MediaBytes)
			if err != nil {
				return err
			}
			pending = append(pending, got...)
			pendingBytes += int(size)
			st.Media += len(got)
			st.MediaBytes += size
			if pendingBytes >= maxBundleBatchBytes {
				if err := s.SaveMedia(ctx, pending, nil); err != nil {
					return err
				}
				pending, pendingBytes = pending[:0], 0
			}
		}
		if err := s.SaveMedia(ctx, pending, nil); err != nil {
			return err
		}
		batch, wants = batch[:0], wants[:0]
		return nil
	}
	err = eachBundleArticle(files["articles.jsonl"], nil, func(a bundleArticle) error {
		sourceID := ids[a.Source]
		if sourceID != batchSource || len(batch) >= 500 || len(lates) >= 500 || batchBytes >= maxBundleBatchBytes {
			if err := flush(); err != nil {
				return err
			}
			batchSource = sourceID
		}
		here, err := s.hasArticle(ctx, sourceID, a)
		if err != nil {
			return err
		}
		if here {
			st.Existing++
			if len(a.Media) > 0 {
				lates = append(lates, late{Article{GUID: a.GUID, URL: a.URL, Title: strings.TrimSpace(a.Title)}, a.Media})
			}
			return nil
		}
		safe, text := rules.Clean(a.HTML)
		batchBytes += len(safe) + len(text)
		dir := "ltr"
		if a.Dir == "rtl" {
			dir = "rtl"
		}
		pub := time.Unix(a.Published, 0)
		if a.Published <= 0 || pub.After(now.Add(48*time.Hour)) {
			pub = now
		}
		batch = append(batch, Article{GUID: a.GUID, URL: a.URL, Title: strings.TrimSpace(a.Title), Author: a.Author,
			// An image the bundle lacks (its sender had not got it yet) is
			// still to fetch here: the article is not complete without it.
			Published: pub, HTML: safe, Text: text, Dir: dir, HasImages: len(a.Media) > 0 || strings.Contains(safe, "<img")})
		wants = append(wants, a.Media)
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return st, err
	}
	signer := ""
	if info.Signer != nil {
		signer = info.Signer.String()
	}
	return st, s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bundles_read (id, signer, created, articles, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, info.ID, signer, man.Created.Unix(), count, now.Unix())
		return err
	})
}

// hasArticle says whether a source holds the article: by GUID, else by
// URL, else by title and date, as a refresh matches them.
func (s *Store) hasArticle(ctx context.Context, sourceID int64, a bundleArticle) (bool, error) {
	var n int
	var err error
	switch {
	case a.GUID != "":
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE source_id = ? AND guid = ?`, sourceID, a.GUID).Scan(&n)
	case a.URL != "":
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE source_id = ? AND url = ?`, sourceID, a.URL).Scan(&n)
	default:
		err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM articles WHERE source_id = ? AND title = ? AND published = ?`,
			sourceID, strings.TrimSpace(a.Title), a.Published).Scan(&n)
	}
	return n > 0, classify(err)
}

// importMedia reads the images an imported article names from the
// bundle, checking each is what its name says and an image, for the
// caller to store.
func (s *Store) importMedia(ctx context.Context, files map[string]*zip.File, media map[string]bundleMedia,
	sourceID int64, a Article, urls []string, room int64) ([]MediaResult, int64, error) {
	if len(urls) == 0 {
		return nil, 0, nil
	}
	id, _, err := s.bundleTarget(ctx, sourceID, a)
	if err != nil {
		return nil, 0, err
	}
	// Not marked as tried: images the bundle lacks are fetched at the
	// next refresh that gets through.
	out, size := bundleImages(files, media, id, urls, room)
	return out, size, nil
}

// settleLateImages marks complete offline the articles whose images were
// all tried here and now are all stored. One still to try is left to the
// images' pass, which links what is stored and fetches the rest.
func (s *Store) settleLateImages(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `DELETE FROM offline_todo WHERE article_id = ? AND tried = 1 AND NOT EXISTS (
			SELECT 1 FROM article_media am JOIN media m ON m.id = am.media_id
			WHERE am.article_id = offline_todo.article_id AND m.blob_id IS NULL)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			if _, err := st.ExecContext(ctx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// lateImages reads the images a bundle brings for an article that is
// here already (sent again because its images came after it was): only
// those the article's own HTML shows, so that a bundle cannot attach
// anything else to an article it did not write here.
func (s *Store) lateImages(ctx context.Context, files map[string]*zip.File, media map[string]bundleMedia,
	sourceID int64, a Article, urls []string, room int64) ([]MediaResult, int64, error) {
	id, page, err := s.bundleTarget(ctx, sourceID, a)
	if err != nil {
		return nil, 0, err
	}
	shown := slices.DeleteFunc(slices.Clone(urls), func(u string) bool {
		return !strings.Contains(page, `"`+u+`"`) && !strings.Contains(page, `"`+html.EscapeString(u)+`"`)
	})
	out, size := bundleImages(files, media, id, shown, room)
	return out, size, nil
}

// bundleTarget is the article here that an imported one names (by GUID,
// else URL, else title), and its HTML.
func (s *Store) bundleTarget(ctx context.Context, sourceID int64, a Article) (int64, string, error) {
	var id int64
	var page string
	q := `SELECT id, html FROM articles WHERE source_id = ? AND guid = ?`
	key := a.GUID
	if key == "" {
		q, key = `SELECT id, html FROM articles WHERE source_id = ? AND url = ?`, a.URL
	}
	if key == "" {
		q = `SELECT id, html FROM articles WHERE source_id = ? AND title = ? ORDER BY id DESC LIMIT 1`
		key = a.Title
	}
	err := s.db.QueryRowContext(ctx, q, sourceID, key).Scan(&id, &page)
	return id, page, classify(err)
}

// bundleImages reads urls' images from the bundle for article id, up to
// room bytes: each must be what its name says and an image; a damaged one
// is left out (the article reads without it).
func bundleImages(files map[string]*zip.File, media map[string]bundleMedia, id int64, urls []string, room int64) ([]MediaResult, int64) {
	var out []MediaResult
	size := int64(0)
	for _, u := range urls {
		m, ok := media[u]
		if !ok || size >= room {
			continue
		}
		data, err := readBundleFile(files["media/"+m.Hash], maxBundleMedia)
		if err != nil {
			continue
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != m.Hash || !strings.HasPrefix(http.DetectContentType(data), "image/") || size+int64(len(data)) > room ||
			CheckImage(data) != nil {
			continue
		}
		out = append(out, MediaResult{ArticleID: id, URL: u, Media: &Media{URL: u, MIME: m.MIME, Data: data}})
		size += int64(len(data))
	}
	return out, size
}

func checkBundleSource(src bundleSource, isBridge func(string) bool) error {
	if len(src.Name) > maxBundleName {
		return errors.New("its name is too long")
	}
	switch src.Kind {
	case KindFeed, KindTelegram:
		u, err := url.Parse(src.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not a web address", src.URL)
		}
	case KindBridge:
		if !isBridge(src.URL) {
			return fmt.Errorf("%q is not an account", src.URL)
		}
	default:
		return fmt.Errorf("unknown kind %q", src.Kind)
	}
	for _, m := range src.Mirrors {
		if u, err := url.Parse(m); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("mirror %q is not a web address", m)
		}
	}
	return nil
}

func readBundleFile(f *zip.File, limit int64) ([]byte, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: a part is missing", ErrBadBundle)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%w: %s is larger than %d MB", ErrBadBundle, f.Name, limit>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, damaged(f.Name, err)
	}
	defer rc.Close()
	// The size in the header may lie: read one byte past the limit.
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, damaged(f.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d MB", ErrBadBundle, f.Name, limit>>20)
	}
	return data, nil
}

func eachBundleArticle(f *zip.File, tee io.Writer, each func(bundleArticle) error) error {
	if f == nil {
		return fmt.Errorf("%w: it has no articles", ErrBadBundle)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadBundle, err)
	}
	defer rc.Close()
	var r io.Reader = rc
	if tee != nil {
		r = io.TeeReader(rc, tee)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxBundleLine)
	line := 0
	for sc.Scan() {
		line++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var a bundleArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("%w: article line %d: %v", ErrBadBundle, line, err)
		}
		if err := each(a); err != nil {
			return fmt.Errorf("article line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%w: article line %d: %v", ErrBadBundle, line+1, err)
		}
		return damaged(f.Name, err)
	}
	return nil
}

// damaged is a part that cannot be read whole: its compressed bytes or
// checksum do not match, as when a byte changed on the way.
func damaged(name string, err error) error {
	var corrupt flate.CorruptInputError
	if errors.Is(err, zip.ErrChecksum) || errors.As(err, &corrupt) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: its part %s was damaged or changed on the way (%v); ask for the file again", ErrBadBundle, name, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrBadBundle, name, err)
}
