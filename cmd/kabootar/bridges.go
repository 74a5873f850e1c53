package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/kabootar/kabootar/internal/app"
)

// bridges lists, adds and removes the RSSHub and RSS-Bridge instances that
// bridge sources (instagram:NAME, x:NAME, telegram:NAME) are read through.
func (c *cli) bridges(ctx context.Context, args []string) error {
	fs := c.flags("bridges")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("bridges needs list, add URL or remove URL")
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var ie *app.InputError
	switch {
	case rest[0] == "list" && len(rest) == 1:
		bases, err := a.Bridges(ctx)
		if err != nil {
			return err
		}
		if len(bases) == 0 {
			fmt.Fprintln(c.stdout, "No bridges. Add an RSSHub or RSS-Bridge instance you trust: kabootar bridges add URL")
		}
		for _, b := range bases {
			fmt.Fprintln(c.stdout, b)
		}
		return nil
	case rest[0] == "add" && len(rest) == 2:
		u, err := a.AddBridge(ctx, rest[1])
		switch {
		case errors.As(err, &ie):
			return usagef("%w", err)
		case errors.Is(err, app.ErrBridgeExists):
			return &failedError{"kabootar: " + err.Error()}
		case err != nil:
			return err
		}
		fmt.Fprintf(c.stdout, "Added bridge %s\n", u)
		return nil
	case rest[0] == "remove" && len(rest) == 2:
		err := a.RemoveBridge(ctx, rest[1])
		if errors.Is(err, app.ErrNoSuchBridge) {
			return usagef("%w", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Removed bridge %s\n", rest[1])
		return nil
	}
	return usagef("use 'bridges list', 'bridges add URL' or 'bridges remove URL'")
}
