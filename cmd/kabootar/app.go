package main

import (
	"context"

	"github.com/kabootar/kabootar/internal/app"
	"github.com/kabootar/kabootar/internal/transport"
)

// open opens the application over the data directory (--data, else
// $KABOOTAR_DATA, else the platform's), creating it when needed.
func (c *cli) open(ctx context.Context) (*app.App, error) {
	dir, err := app.DataDir(c.dataDir, c.getenv)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, dir, app.Options{Version: version, Log: c.log, Getenv: c.getenv, SystemProxy: transport.CurrentSystemProxy})
}
