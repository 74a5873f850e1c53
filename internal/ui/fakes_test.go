package ui

import (
	"context"
	"io"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/cache"
	"github.com/kabootar/kabootar/internal/feeds"
)

// fakeActions is Actions with each method a function of the test's; one
// left nil does nothing and succeeds.
type fakeActions struct {
	refresh     func(context.Context, func(feeds.Progress)) (app.Report, error)
	probe       func(context.Context) bool
	addSource   func(context.Context, string, app.AddOptions) (app.Added, error)
	fullText    func(context.Context, int64, string) error
	findProxies func(context.Context) []FoundProxy
	addStarters func(context.Context, []feeds.Starter) (int, error)
	welcomed    func(context.Context) error
	torStatus   func() app.TorStatus
}

func (f *fakeActions) TorStatus(context.Context) app.TorStatus {
	if f.torStatus == nil {
		return app.TorStatus{}
	}
	return f.torStatus()
}

func (f *fakeActions) Refresh(ctx context.Context, p func(feeds.Progress)) (app.Report, error) {
	if f.refresh == nil {
		return app.Report{}, nil
	}
	return f.refresh(ctx, p)
}
func (f *fakeActions) Probe(ctx context.Context) bool { return f.probe != nil && f.probe(ctx) }
func (f *fakeActions) AddSource(ctx context.Context, in string, o app.AddOptions) (app.Added, error) {
	if f.addSource == nil {
		return app.Added{}, nil
	}
	return f.addSource(ctx, in, o)
}
func (f *fakeActions) FullText(ctx context.Context, id int64, page string) error {
	if f.fullText == nil {
		return nil
	}
	return f.fullText(ctx, id, page)
}
func (f *fakeActions) ImportOPML(context.Context, io.Reader) (int, int, error) { return 0, 0, nil }
func (f *fakeActions) ExportOPML(context.Context, io.Writer) (int, error)      { return 0, nil }
func (f *fakeActions) ImportBundle(context.Context, io.Reader, app.ImportOptions) (cache.BundleStats, error) {
	return cache.BundleStats{}, nil
}
func (f *fakeActions) ExportBundle(context.Context, io.Writer, cache.BundleOptions) (cache.BundleStats, error) {
	return cache.BundleStats{}, nil
}
func (f *fakeActions) FindProxies(ctx context.Context) []FoundProxy {
	if f.findProxies == nil {
		return nil
	}
	return f.findProxies(ctx)
}
func (f *fakeActions) AddStarters(ctx context.Context, l []feeds.Starter) (int, error) {
	if f.addStarters == nil {
		return 0, nil
	}
	return f.addStarters(ctx, l)
}
func (f *fakeActions) Welcomed(ctx context.Context) error {
	if f.welcomed == nil {
		return nil
	}
	return f.welcomed(ctx)
}

// fakeSettings is Settings from the test's parts; a part left nil has
// nothing stored and keeps nothing.
type fakeSettings struct {
	conn        ConnectionSettings
	notify      NotifySettings
	saveReading func(context.Context, Reading) error
	saveWindow  func(context.Context, app.WindowState) error
}

func (f *fakeSettings) SaveWindow(ctx context.Context, s app.WindowState) error {
	if f.saveWindow == nil {
		return nil
	}
	return f.saveWindow(ctx, s)
}

func (f *fakeSettings) Connection(ctx context.Context) (Connection, error) {
	if f.conn == nil {
		return Connection{}, nil
	}
	return f.conn.Connection(ctx)
}
func (f *fakeSettings) SetConnection(ctx context.Context, c Connection) error {
	if f.conn == nil {
		return nil
	}
	return f.conn.SetConnection(ctx, c)
}
func (f *fakeSettings) TestConnection(ctx context.Context, target string) ([]RouteCheck, error) {
	if f.conn == nil {
		return nil, nil
	}
	return f.conn.TestConnection(ctx, target)
}
func (f *fakeSettings) Storage(context.Context) (Storage, error)  { return Storage{}, nil }
func (f *fakeSettings) SetStorage(context.Context, Storage) error { return nil }
func (f *fakeSettings) NotifySources(ctx context.Context) (map[int64]bool, error) {
	if f.notify == nil {
		return map[int64]bool{}, nil
	}
	return f.notify.NotifySources(ctx)
}
func (f *fakeSettings) SetNotify(ctx context.Context, id int64, on bool) error {
	if f.notify == nil {
		return nil
	}
	return f.notify.SetNotify(ctx, id, on)
}
func (f *fakeSettings) SaveReading(ctx context.Context, r Reading) error {
	if f.saveReading == nil {
		return nil
	}
	return f.saveReading(ctx, r)
}
