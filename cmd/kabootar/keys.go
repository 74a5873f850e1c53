package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/kabootar/kabootar/internal/app"
)

// keys shows this reader's key and manages the keys trusted: whose
// bundles are imported without asking.
func (c *cli) keys(ctx context.Context, args []string) error {
	fs := c.flags("keys")
	asJSON := fs.Bool("json", false, "print JSON")
	name := fs.String("name", "", "with trust: what you call the key's owner")
	rest, err := parseInterleaved(fs, args, false)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("keys needs show, list, trust KEY|FILE or untrust FINGERPRINT")
	}
	if *name != "" && rest[0] != "trust" {
		return usagef("--name is for keys trust")
	}
	a, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var ie *app.InputError
	switch rest[0] {
	case "show":
		if err := needArgs("keys show", rest[1:], 0, "no arguments"); err != nil {
			return err
		}
		id, err := a.Identity()
		if err != nil {
			return err
		}
		k := id.Public()
		if *asJSON {
			return c.printJSON(map[string]string{"key": k.String(), "fingerprint": k.Fingerprint()})
		}
		fmt.Fprintf(c.stdout, "Your key (give it to those who should trust your bundles):\n  %s\nIts fingerprint (read it aloud to compare):\n  %s\n", k, k.Fingerprint())
		return nil
	case "list":
		if err := needArgs("keys list", rest[1:], 0, "no arguments"); err != nil {
			return err
		}
		list, err := a.TrustedKeys(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			out := []map[string]string{}
			for _, k := range list {
				out = append(out, map[string]string{"name": k.Name, "fingerprint": k.Key.Fingerprint(), "key": k.Key.String(),
					"added": k.Added.UTC().Format("2006-01-02T15:04:05Z")})
			}
			return c.printJSON(out)
		}
		if len(list) == 0 {
			fmt.Fprintln(c.stdout, "No trusted keys yet. Trust a friend's with: kabootar keys trust KEY|FILE --name NAME")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tFINGERPRINT\tTRUSTED SINCE")
		for _, k := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.Key.Fingerprint(), k.Added.Format("2006-01-02"))
		}
		return tw.Flush()
	case "trust":
		if err := needArgs("keys trust", rest[1:], 1, "a key (kabootar-key:…) or a file (a saved key, or a bundle)"); err != nil {
			return err
		}
		k, err := a.Trust(ctx, rest[1], *name)
		if errors.As(err, &ie) {
			return usagef("%v", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Trusted %s (fingerprint %s): their bundles are imported without asking.\n", cmpName(*name), k.Fingerprint())
		return nil
	case "untrust":
		if len(rest) < 2 {
			return usagef("keys untrust needs a fingerprint (kabootar keys list)")
		}
		k, err := a.Untrust(ctx, joinArgs(rest[1:]))
		if errors.As(err, &ie) || errors.Is(err, app.ErrNotTrusted) {
			return usagef("%v", err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "No longer trusted: %s (%s). What came in their bundles stays.\n", cmpName(k.Name), k.Key.Fingerprint())
		return nil
	}
	return usagef("unknown keys command %q", rest[0])
}

func cmpName(name string) string {
	if name == "" {
		return "the key"
	}
	return name
}

// joinArgs puts a fingerprint typed in groups ("12345 67890 …", unquoted)
// back together.
func joinArgs(args []string) string { return strings.Join(args, "") }
