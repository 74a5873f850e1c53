package ui

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kabootar/kabootar/assets"
)

// Every string the window passes to lang.L is translated, in English and
// Persian: a string missing from a file would show its key to the reader.
func TestEveryStringTranslated(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{} // key -> where
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "L" {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "lang" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, _ := strconv.Unquote(lit.Value)
				used[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
	}
	if len(used) < 50 {
		t.Fatalf("found only %d strings: is the scan broken?", len(used))
	}
	for _, name := range []string{"en.json", "fa.json"} {
		m := langFile(t, name)
		for k, where := range used {
			if m[k] == "" {
				t.Errorf("%s lacks %q (%s)", name, k, where)
			}
		}
	}
}

// The keys the window builds (a route's words, a verdict's) are in both
// files too: a connection test lists every route, tactics included, in
// the reader's language.
func TestBuiltKeysTranslated(t *testing.T) {
	keys := []string{"verdict.other"}
	for _, r := range []string{"direct", "doh", "split", "tlsfrag", "ech", "front", "tor", "proxy"} {
		keys = append(keys, "route."+r)
	}
	for _, v := range []string{"dns-bogon", "http-blockpage", "tcp-reset", "tls-reset", "tls-timeout", "tcp-timeout",
		"proxy-unreachable", "ech-unavailable", "ech-config-invalid", "ech-rejected", "front-cert-invalid"} {
		keys = append(keys, "verdict."+v)
	}
	for _, name := range []string{"en.json", "fa.json"} {
		m := langFile(t, name)
		for _, k := range keys {
			if m[k] == "" {
				t.Errorf("%s lacks %q", name, k)
			}
		}
	}
}

// langFile is one of the translation files, key to text.
func langFile(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := assets.Lang.ReadFile("lang/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
