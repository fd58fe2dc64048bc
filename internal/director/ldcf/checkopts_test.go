package ldcf

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckOptionWarnings: a check directive the virtual's check does not
// read, and a missing one without which the check always fails, are
// warnings with the directive's file:line; the file still parses, as in
// ldirectord 4.12.
func TestCheckOptionWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []Error
	}{
		{name: "http reads request, receive, httpmethod, virtualhost",
			src: "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\trequest=\"/x\"\n\treceive=\"ok\"\n\thttpmethod=HEAD\n\tvirtualhost=www\n"},
		{name: "secret and login on http",
			src: "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tsecret=\"s\"\n\tlogin=\"u\"\n",
			want: []Error{
				{File: testFile, Line: 4, Msg: "login: not used by checktype=negotiate service=http, which ignores it (as ldirectord 4.12 does)"},
				{File: testFile, Line: 3, Msg: "secret: not used by checktype=negotiate service=http, which ignores it (as ldirectord 4.12 does)"},
			}},
		{name: "request and checkcommand on connect",
			src: "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=connect\n\trequest=\"/x\"\n\tcheckcommand=/bin/chk\n",
			want: []Error{
				{File: testFile, Line: 4, Msg: "request: not used by checktype=connect, which ignores it (as ldirectord 4.12 does)"},
				{File: testFile, Line: 5, Msg: "checkcommand: not used by checktype=connect, which ignores it (as ldirectord 4.12 does)"},
			}},
		{name: "per-real request and receive on smtp",
			src: "virtual=10.0.0.1:25\n\treal=10.0.0.2:25 gate 1 \"/x\", \"y\"\n\treal=10.0.0.3:25 gate\n",
			want: []Error{
				{File: testFile, Line: 2, Msg: "real: the request and receive of 10.0.0.2:25 not used by checktype=negotiate service=smtp, which ignores it (as ldirectord 4.12 does)"},
			}},
		{name: "combined names its N",
			src: "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=3\n\tdatabase=\"db\"\n",
			want: []Error{
				{File: testFile, Line: 4, Msg: "database: not used by checktype=3 service=http, which ignores it (as ldirectord 4.12 does)"},
			}},
		{name: "external reads checkcommand only",
			src: "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n\tchecktype=external\n\tcheckcommand=/bin/chk\n\tvirtualhost=www\n",
			want: []Error{
				{File: testFile, Line: 5, Msg: "virtualhost: not used by checktype=external, which ignores it (as ldirectord 4.12 does)"},
			}},
		{name: "mysql without login or query",
			src: "virtual=10.0.0.1:3306\n\treal=10.0.0.2:3306 gate\n\tservice=mysql\n",
			want: []Error{
				{File: testFile, Line: 3, Msg: `login: checktype=negotiate service=mysql needs login=, every check of its reals will fail (want login="user" with passwd= and request="the query")`},
				{File: testFile, Line: 3, Msg: `request: checktype=negotiate service=mysql needs request="an SQL query", every check of its reals will fail (want e.g. request="SELECT 1")`},
			}},
		{name: "pgsql with a query per real",
			src: "virtual=10.0.0.1:5432\n\treal=10.0.0.2:5432 gate 1 \"SELECT 1\", \"\"\n\tlogin=\"u\"\n"},
		{name: "pgsql with a real lacking the query",
			src: "virtual=10.0.0.1:5432\n\treal=10.0.0.2:5432 gate 1 \"SELECT 1\", \"\"\n\treal=10.0.0.3:5432 gate\n\tlogin=\"u\"\n",
			want: []Error{
				{File: testFile, Line: 1, Msg: `request: checktype=negotiate service=pgsql needs request="an SQL query", every check of its reals will fail (want e.g. request="SELECT 1")`},
			}},
		{name: "radius without secret",
			src: "virtual=10.0.0.1:1812\n\tprotocol=udp\n\treal=10.0.0.2:1812 gate\n\tlogin=\"u\"\n",
			want: []Error{
				{File: testFile, Line: 1, Msg: `secret: checktype=negotiate service=radius needs secret=, every check of its reals will fail (want secret="the RADIUS shared secret")`},
			}},
		{name: "radius with its secret", src: "virtual=10.0.0.1:1812\n\tprotocol=udp\n\treal=10.0.0.2:1812 gate\n\tsecret=\"s\"\n"},
		{name: "sql on connect checks warns nothing missing",
			src: "virtual=10.0.0.1:3306\n\treal=10.0.0.2:3306 gate\n\tchecktype=connect\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.src, fakeOptions())
			if diff := cmp.Diff(tc.want, c.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckReads pins the table the parser and the director share.
func TestCheckReads(t *testing.T) {
	for _, tc := range []struct {
		typ     CheckType
		service string
		want    CheckOption
	}{
		{CheckNegotiate, "http", OptRequest | OptReceive | OptHTTPMethod | OptVirtualHost},
		{CheckCombined, "radius", OptLogin | OptPasswd | OptSecret},
		{CheckNegotiate, "smtp", 0},
		{CheckNegotiate, "", OptRequest | OptReceive | OptHTTPMethod | OptVirtualHost | OptLogin | OptPasswd | OptDatabase | OptSecret},
		{CheckConnect, "http", 0},
		{CheckExternalPerl, "http", OptCheckCommand},
		{CheckOn, "", 0},
	} {
		if got := CheckReads(tc.typ, tc.service); got != tc.want {
			t.Errorf("CheckReads(%s, %q) = %b, want %b", tc.typ, tc.service, got, tc.want)
		}
	}
	// Every service is in the table, or is one that reads none of them: a
	// new service must be placed.
	readsNothing := []string{"smtp", "submission", "nntp", "none", "oracle"}
	for _, s := range Services {
		if _, ok := serviceReads[s]; ok == slices.Contains(readsNothing, s) {
			t.Errorf("service %s: in serviceReads %v, in the reads-nothing list %v", s, ok, !ok)
		}
	}
}
