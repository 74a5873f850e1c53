package ui

import (
	"context"
	"io"
	"time"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// Library is what the window reads from (and marks in) the cache.
type Library interface {
	Sources(ctx context.Context) ([]cache.Source, error)
	Articles(ctx context.Context, q cache.Query) ([]cache.Summary, error)
	Article(ctx context.Context, id int64) (cache.Article, error)
	Media(ctx context.Context, url string) (cache.Media, error)
	SetRead(ctx context.Context, id int64, read bool) error
	SetStarred(ctx context.Context, id int64, starred bool) error
	RenameSource(ctx context.Context, id int64, name string) error
	RemoveSource(ctx context.Context, id int64) error
	SetMirrors(ctx context.Context, id int64, mirrors []string) error
	// ArticleProvenance says whose bundle an article came in, if any.
	ArticleProvenance(ctx context.Context, id int64) (cache.Provenance, error)
}

// Actions are what the window asks the application to do (an *app.App
// is one): everything that may use the network or read and write files.
type Actions interface {
	// Refresh refreshes every source, reporting progress; an error says
	// why it could not start.
	Refresh(ctx context.Context, progress func(feeds.Progress)) (app.Report, error)
	// Probe says whether the network answers again, after a refresh found
	// it offline: cheap, so the schedule asks it often then.
	Probe(ctx context.Context) bool
	// AddSource adds what the reader typed (a URL, @channel, instagram:NAME…).
	AddSource(ctx context.Context, input string, o app.AddOptions) (app.Added, error)
	// FullText fetches an article's page and keeps its full text.
	FullText(ctx context.Context, articleID int64, pageURL string) error
	// ImportOPML adds the sources of an OPML file, all or none;
	// ExportOPML writes every source as OPML, mirrors included.
	ImportOPML(ctx context.Context, r io.Reader) (added, listed int, err error)
	ExportOPML(ctx context.Context, w io.Writer) (int, error)
	// ImportBundle adds the sources and articles of a file of saved news,
	// verified, as o allows (a key not trusted: *app.UnknownSignerError);
	// ExportBundle writes saved news (opt chooses what), images included,
	// signed.
	ImportBundle(ctx context.Context, r io.Reader, o app.ImportOptions) (cache.BundleStats, error)
	ExportBundle(ctx context.Context, w io.Writer, opt cache.BundleOptions) (cache.BundleStats, error)
	// FindProxies looks for proxies the reader is likely running (the
	// first run offers them).
	FindProxies(ctx context.Context) []FoundProxy
	// AddStarters adds the chosen starter sources, without the network.
	AddStarters(ctx context.Context, list []feeds.Starter) (added int, err error)
	// Welcomed remembers that the welcome was gone through.
	Welcomed(ctx context.Context) error
	// TorStatus says where Kabootar's own Tor stands (its bootstrap, shown
	// while a refresh waits for it).
	TorStatus(ctx context.Context) app.TorStatus
}

// Settings are what the settings dialog edits (an *app.App is one).
type Settings interface {
	ConnectionSettings
	StorageSettings
	NotifySettings
	SaveReading(ctx context.Context, r Reading) error
	// SaveWindow keeps the window's size, panes and source for the next
	// start.
	SaveWindow(ctx context.Context, s app.WindowState) error
}

// Options are how the window starts.
type Options struct {
	// Interval is the time between background refreshes; 0: none.
	Interval time.Duration
	// OpenFirst opens the newest article once the list is read (for
	// screenshots and demos).
	OpenFirst bool
	// RefreshAtStart starts a refresh as the window opens (for
	// screenshots of a refresh under way).
	RefreshAtStart bool
	// OpenSettings opens the settings once the window starts (for
	// screenshots).
	OpenSettings bool
	// SettingsTab is the tab the settings open on (reading, connection,
	// storage or sharing; for screenshots).
	SettingsTab string
	// Reading is the theme, text size and language to start with.
	Reading Reading
	// Tray asks for a tray icon. On Linux the tray needs a D-Bus session:
	// without one Fyne's systray crashes as the app quits.
	Tray bool
	// FirstRun, when set, shows the welcome before the main window.
	FirstRun *FirstRun
	// Window is the size, panes and source the window was closed with.
	Window app.WindowState
}

// Deps are what the window works with: the library it reads, the actions
// it asks for and the settings it edits (nil Actions or Settings: none,
// and what needs them is not offered), and its options.
type Deps struct {
	Library  Library
	Actions  Actions
	Settings Settings
	// Sharing is the shared folder and the keys (nil: no Sharing tab, no
	// watching of a folder).
	Sharing Sharing
	Options Options
}
