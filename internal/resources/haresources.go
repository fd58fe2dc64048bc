package resources

// This file is pure: it turns the text of haresources into Groups and never
// touches the file system.

import (
	"fmt"
	"strings"
)

// Error is a haresources syntax error. Its text is "FILE:LINE: MSG", for
// example `haresources:3: resource "::x": empty name (want NAME[::arg...])`.
type Error struct {
	File string // the file name as given to ParseHaresources
	Line int    // 1-based physical line where the offending logical line starts
	Msg  string
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Group is one haresources line: the preferred owner and the resources it
// holds, in start order.
type Group struct {
	// Node is the preferred owner, lowercased as ResourceManager's
	// `awk '{$1 = tolower($1)}'` does.
	Node string
	// Resources are in start order (left to right); never empty.
	Resources []Resource
	// Line is where the group's logical line starts (1-based).
	Line int
}

// Key is the group's key: the first resource exactly as written, which
// Heartbeat uses to name the group (ResourceManager KeyResources,
// `takegroup <key>`). It is unique in a file.
func (g Group) Key() string { return g.Resources[0].Raw }

// String is the group's normalized haresources line, as ResourceManager
// logs it: "test1.com ldirectord::ldirectord.cf IPaddr::10.1.1.10/24/eth0".
func (g Group) String() string {
	parts := make([]string, 0, len(g.Resources)+1)
	parts = append(parts, g.Node)
	for _, r := range g.Resources {
		parts = append(parts, r.Raw)
	}
	return strings.Join(parts, " ")
}

// Resource is one resource of a group: a script or built-in agent name and
// its arguments, split on "::".
type Resource struct {
	// Name is the agent or script name: "IPaddr", "ldirectord", "httpd".
	// A bare IP address has Name "IPaddr" (ResourceManager canonname).
	Name string
	// Args are the "::"-separated arguments, possibly none.
	Args []string
	// Raw is the token exactly as written in the file: "10.1.1.10" for a
	// bare address, "IPaddr::10.1.1.10/24/eth0" otherwise.
	Raw string
	// Line is where the group's logical line starts (1-based).
	Line int
}

// String is Heartbeat's canonical form of the resource, NAME[::arg...]: a
// bare "10.1.1.10" becomes "IPaddr::10.1.1.10" (ResourceManager canonname).
func (r Resource) String() string {
	if len(r.Args) == 0 {
		return r.Name
	}
	return r.Name + "::" + strings.Join(r.Args, "::")
}

// logicalLine is one group line after comment stripping and continuation
// joining.
type logicalLine struct {
	text string
	line int
}

// ParseHaresources parses the haresources file named file (used only in
// error messages) with contents src. It follows ResourceManager's ipres:
// "#" starts a comment anywhere on a physical line; a line whose
// comment-stripped text ends in "\" is joined to the next one with the
// backslash and the newline removed (no blank is inserted); blanks and tabs
// separate fields; empty lines are skipped. A field that looks like an IP
// address (the glob [0-9]*.[0-9]*.[0-9]*.[0-9]*) stands for IPaddr::field.
//
// Beyond Heartbeat, which accepts nearly anything and fails later, it
// rejects a group without resources, an empty name or argument, a name that
// is not a plain file name, a duplicate group key, a backslash that is not
// the last character of its line, and IPaddr/IPaddr2 arguments that their
// agents would refuse (see ParseIPSpec).
func ParseHaresources(file string, src []byte) ([]Group, error) {
	lines, err := joinLines(file, string(src))
	if err != nil {
		return nil, err
	}
	var groups []Group
	keys := map[string]int{}
	for _, ll := range lines {
		g, err := parseGroup(file, ll)
		if err != nil {
			return nil, err
		}
		if prev, dup := keys[g.Key()]; dup {
			return nil, &Error{File: file, Line: ll.line, Msg: fmt.Sprintf(
				"duplicate group key %q, first used on line %d (want the first resource of each line unique)",
				g.Key(), prev)}
		}
		keys[g.Key()] = ll.line
		groups = append(groups, g)
	}
	return groups, nil
}

// joinLines strips comments, joins continuation lines and drops blank
// lines, keeping the starting line number of each logical line.
func joinLines(file, src string) ([]logicalLine, error) {
	var out []logicalLine
	var cur strings.Builder
	start, cont := 0, false
	phys := strings.Split(src, "\n")
	for i, l := range phys {
		n := i + 1
		l = strings.TrimSuffix(l, "\r")
		if j := strings.IndexByte(l, '#'); j >= 0 {
			l = l[:j]
		}
		if !cont {
			start = n
		}
		cont = strings.HasSuffix(l, `\`)
		if cont {
			l = l[:len(l)-1]
		}
		if strings.ContainsRune(l, '\\') {
			return nil, &Error{File: file, Line: n, Msg: `stray backslash (want "\" only as the last character of a line, to continue it)`}
		}
		cur.WriteString(l)
		if cont {
			if i == len(phys)-1 || (i == len(phys)-2 && phys[i+1] == "") {
				return nil, &Error{File: file, Line: n, Msg: `backslash continuation at end of file (want a line after it)`}
			}
			continue
		}
		if text := strings.TrimSpace(cur.String()); text != "" {
			out = append(out, logicalLine{text: cur.String(), line: start})
		}
		cur.Reset()
	}
	return out, nil
}

// parseGroup parses one logical line: node resource...
func parseGroup(file string, ll logicalLine) (Group, error) {
	fields := strings.FieldsFunc(ll.text, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' })
	errf := func(format string, a ...any) error {
		return &Error{File: file, Line: ll.line, Msg: fmt.Sprintf(format, a...)}
	}
	node := strings.ToLower(fields[0])
	if strings.Contains(node, "::") || looksLikeIP(node) {
		return Group{}, errf("%q is not a node name (want: NODE RESOURCE [RESOURCE...])", fields[0])
	}
	if len(fields) < 2 {
		return Group{}, errf("group for node %q has no resources (want: NODE RESOURCE [RESOURCE...])", node)
	}
	g := Group{Node: node, Line: ll.line}
	for _, f := range fields[1:] {
		r, msg := parseResource(f)
		if msg != "" {
			return Group{}, errf("resource %q: %s", f, msg)
		}
		r.Line = ll.line
		g.Resources = append(g.Resources, r)
	}
	return g, nil
}

// parseResource splits one resource field; msg is non-empty on error.
func parseResource(f string) (Resource, string) {
	r := Resource{Raw: f}
	canon := f
	if looksLikeIP(f) {
		canon = "IPaddr::" + f
	}
	parts := strings.Split(canon, "::")
	r.Name = parts[0]
	if len(parts) > 1 {
		r.Args = parts[1:]
	}
	switch {
	case r.Name == "":
		return r, "empty name (want NAME[::arg...])"
	case r.Name == "." || r.Name == ".." || strings.ContainsAny(r.Name, "/:"):
		return r, "name is not a script file name (want NAME[::arg...], NAME without '/' or ':')"
	}
	for i, a := range r.Args {
		if a == "" {
			return r, fmt.Sprintf("argument %d is empty (want NAME::arg[::arg...] with no empty argument)", i+1)
		}
	}
	if kind, ok := ipAgentKind(r.Name); ok {
		if _, err := ParseIPSpec(kind, r.Args); err != nil {
			return r, err.Error()
		}
	}
	return r, ""
}

// looksLikeIP is ResourceManager's isip glob [0-9]*.[0-9]*.[0-9]*.[0-9]*:
// a leading digit, then three dots each directly followed by a digit.
func looksLikeIP(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	rest := s[1:]
	for range 3 {
		found := false
		for i := 0; i+1 < len(rest); i++ {
			if rest[i] == '.' && rest[i+1] >= '0' && rest[i+1] <= '9' {
				rest = rest[i+2:]
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
