package heartbeat

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// msgPackages are the packages whose log text lives in a messages.go.
var msgPackages = []string{".", "member", "r1"}

// TestMessagesLiveOnce checks that every log line has exactly one home:
// Msg constants are declared only in a package's messages.go, no two
// constants of the engine, member and r1 hold the same text, and no other
// non-test file spells a message out as a literal instead of using its
// constant.
func TestMessagesLiveOnce(t *testing.T) {
	fset := token.NewFileSet()
	home := map[string]string{} // message text -> constant
	var others []*ast.File
	for _, dir := range msgPackages {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			isMsgs := filepath.Base(path) == "messages.go"
			for name, text := range msgConsts(f) {
				switch {
				case !isMsgs:
					t.Errorf("%s: %s declared outside messages.go", path, name)
				case home[text] != "":
					t.Errorf("%s: %s repeats the text of %s: %q", path, name, home[text], text)
				default:
					home[text] = dir + "." + name
				}
			}
			if !isMsgs {
				others = append(others, f)
			}
		}
	}
	if len(home) < 60 {
		t.Fatalf("found %d messages; the parser missed the messages.go files", len(home))
	}
	for _, f := range others {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && home[s] != "" {
				t.Errorf("%s: literal %q: use %s", fset.Position(lit.Pos()), s, home[s])
			}
			return true
		})
	}
}

// msgConsts returns the string constants named Msg* declared in f.
func msgConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Msg") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					out[name.Name] = s
				}
			}
		}
	}
	return out
}
