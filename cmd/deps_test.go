// Package cmd holds tether's binaries; this test-only package checks the
// import rules of DESIGN.md over the whole module.
package cmd

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "tether"

// allowed maps a package tree (a directory relative to the module root) to
// the trees of ours it may import. A package may always import packages in
// its own tree. The longest matching prefix applies.
var allowed = map[string][]string{
	"h1":              {},
	"persist":         {"h1"},
	"engine":          {"h1", "persist"},
	"runtime":         {"engine"},
	"bench":           {"h1", "persist"},
	"cmd":             {"h1", "persist", "engine", "runtime", "bench"},
	"cmd/tetherctl":   {"runtime"},
	"cmd/tetherbench": {"bench"},
}

// ruleFor returns the tree whose rule applies to dir and that rule.
func ruleFor(dir string) (string, []string, bool) {
	best := ""
	for tree := range allowed {
		if (dir == tree || strings.HasPrefix(dir, tree+"/")) && len(tree) > len(best) {
			best = tree
		}
	}
	if best == "" {
		return "", nil, false
	}
	return best, allowed[best], true
}

func within(p, tree string) bool { return p == tree || strings.HasPrefix(p, tree+"/") }

func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		tree, may, ok := ruleFor(rel)
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if ip != module && !strings.HasPrefix(ip, module+"/") {
				continue
			}
			checked++
			ours := strings.TrimPrefix(strings.TrimPrefix(ip, module), "/")
			if !ok {
				t.Errorf("%s: package directory %q has no import rule but imports %s", p, rel, ip)
				continue
			}
			if within(ours, tree) {
				continue
			}
			good := false
			for _, m := range may {
				if within(ours, m) {
					good = true
				}
			}
			if !good {
				t.Errorf("%s: %s may not import %s (allowed: %v)", path.Base(p), rel, ip, may)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d imports of our packages checked", checked)
}

func TestRuleForLongestPrefix(t *testing.T) {
	for dir, want := range map[string]string{
		"h1":                   "h1",
		"engine/config":        "engine",
		"cmd/tetherctl":        "cmd/tetherctl",
		"cmd/tether":           "cmd",
		"cmd/tetherbench/x":    "cmd/tetherbench",
		"persist/internal/foo": "persist",
	} {
		got, _, ok := ruleFor(dir)
		if !ok || got != want {
			t.Errorf("ruleFor(%q) = %q, %v; want %q", dir, got, ok, want)
		}
	}
	if _, _, ok := ruleFor("vendor/x"); ok {
		t.Error("ruleFor(vendor/x) matched a rule")
	}
}
