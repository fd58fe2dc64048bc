package hacf

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuthKeysFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want *AuthKeys
	}{
		{"s1.authkeys", &AuthKeys{File: "s1.authkeys", Active: 2, Keys: map[int]Key{2: {Line: 2, Index: 2, Method: SHA1, Secret: "PASSWORD"}}}},
		{"lab.authkeys", &AuthKeys{File: "lab.authkeys", Active: 1, Keys: map[int]Key{1: {Line: 2, Index: 1, Method: SHA1, Secret: "hbd-lab-secret"}}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseAuthKeys(tc.file, readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.ActiveKey() != tc.want.Keys[tc.want.Active] {
				t.Errorf("ActiveKey = %v", got.ActiveKey())
			}
		})
	}
}

func TestAuthKeys(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      string
		active   Key
		nkeys    int
		warnings []string
	}{
		{name: "crc", src: "auth 1\n1 crc\n", active: Key{Line: 2, Index: 1, Method: CRC}, nkeys: 1},
		{name: "md5", src: "auth 3\n3 md5 s3cr3t\n", active: Key{Line: 2, Index: 3, Method: MD5, Secret: "s3cr3t"}, nkeys: 1},
		{name: "index 0", src: "auth 0\n0 sha1 k\n", active: Key{Line: 2, Index: 0, Method: SHA1, Secret: "k"}, nkeys: 1},
		{name: "index 15", src: "auth 15\n15 sha1 k\n", active: Key{Line: 2, Index: 15, Method: SHA1, Secret: "k"}, nkeys: 1},
		{name: "comments blanks CRLF", src: "# keys\r\n\r\n  # indented\r\nauth 2\r\n\t2 sha1 PASSWORD\r\n",
			active: Key{Line: 5, Index: 2, Method: SHA1, Secret: "PASSWORD"}, nkeys: 1},
		{name: "words after secret ignored", src: "auth 2\n2 md5 b c d\n", active: Key{Line: 2, Index: 2, Method: MD5, Secret: "b"}, nkeys: 1,
			warnings: []string{`authkeys:2: key 2: words after the secret ignored: "c d"`}},
		{name: "other keys accepted for receive", src: "auth 2\n1 md5 old\n2 sha1 new\n",
			active: Key{Line: 3, Index: 2, Method: SHA1, Secret: "new"}, nkeys: 2},
		{name: "key defined before auth is kept for receive", src: "1 md5 old\nauth 2\n2 sha1 new\n",
			active: Key{Line: 3, Index: 2, Method: SHA1, Secret: "new"}, nkeys: 2},
		{name: "duplicate index: last wins", src: "auth 1\n1 sha1 a\n1 md5 b\n", active: Key{Line: 3, Index: 1, Method: MD5, Secret: "b"}, nkeys: 1,
			warnings: []string{"authkeys:3: key 1 redefined (line 2 is replaced)"}},
		{name: "auth switched later without key", src: "auth 1\n1 sha1 a\nauth 2\n", active: Key{Line: 2, Index: 1, Method: SHA1, Secret: "a"}, nkeys: 1,
			warnings: []string{"authkeys:3: auth 2: no key 2 follows this line; key 1 stays the signing key"}},
		{name: "second auth selects", src: "auth 1\n1 sha1 a\nauth 2\n2 sha1 b\n", active: Key{Line: 4, Index: 2, Method: SHA1, Secret: "b"}, nkeys: 2},
		{name: "auth without space", src: "auth2\n2 crc\n", active: Key{Line: 2, Index: 2, Method: CRC}, nkeys: 1},
		{name: "index glued to method", src: "auth 2\n2sha1 k\n", active: Key{Line: 2, Index: 2, Method: SHA1, Secret: "k"}, nkeys: 1},
		{name: "plus sign", src: "auth +2\n+2 sha1 k\n", active: Key{Line: 2, Index: 2, Method: SHA1, Secret: "k"}, nkeys: 1},
		{name: "hash inside secret", src: "auth 1\n1 sha1 a#b\n", active: Key{Line: 2, Index: 1, Method: SHA1, Secret: "a#b"}, nkeys: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ak, err := ParseAuthKeys("authkeys", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.active, ak.ActiveKey()); diff != "" {
				t.Errorf("active key (-want +got):\n%s", diff)
			}
			if len(ak.Keys) != tc.nkeys {
				t.Errorf("%d keys, want %d", len(ak.Keys), tc.nkeys)
			}
			var got []string
			for _, w := range ak.Warnings {
				got = append(got, w.String())
			}
			if diff := cmp.Diff(tc.warnings, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthKeysBroken(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", []string{"authkeys: missing auth directive in keyfile (want auth <index> before the key line)"}},
		{"missing auth", "1 sha1 k\n", []string{"authkeys: missing auth directive in keyfile (want auth <index> before the key line)"}},
		{"auth after key", "1 sha1 x\nauth 1\n", []string{"authkeys:2: auth 1: key 1 is defined on line 1, before the auth line; " +
			"Heartbeat 3.0.6 only selects a key defined after its auth line (move auth 1 up)"}},
		{"auth index not defined", "auth 3\n1 sha1 x\n", []string{`authkeys:1: auth 3: auth key [3] not found in keyfile (want a line "3 <crc|md5|sha1> [<secret>]" after it)`}},
		{"auth index 16", "auth 16\n", []string{"authkeys:1: auth: bad index 16 (want 0-15)"}},
		{"auth negative", "auth -1\n", []string{"authkeys:1: auth: bad index -1 (want 0-15)"}},
		{"auth no number", "auth x\n", []string{`authkeys:1: invalid auth line "auth x" (want auth <index>)`}},
		{"line starting with a", "abc 1\n", []string{`authkeys:1: invalid auth line "abc 1" (want auth <index>)`}},
		{"Auth capitalised", "Auth 1\n1 crc\n", []string{`authkeys:1: auth line "Auth 1" is invalid (want <index> <crc|md5|sha1> [<secret>])`}},
		{"index 16", "auth 1\n16 sha1 k\n1 crc\n", []string{"authkeys:2: invalid authnum [16] (want 0-15)"}},
		{"index huge", "auth 1\n99999999999 sha1 k\n1 crc\n", []string{"authkeys:2: invalid authnum [99999999999] (want 0-15)"}},
		{"index only", "auth 1\n1\n", []string{`authkeys:2: auth line "1" is invalid (want <index> <crc|md5|sha1> [<secret>])`}},
		{"unknown method", "auth 1\n1 sha256 k\n", []string{"authkeys:2: invalid authtype [sha256] (want crc, md5 or sha1)"}},
		{"method case", "auth 1\n1 SHA1 k\n", []string{"authkeys:2: invalid authtype [SHA1] (want crc, md5 or sha1)"}},
		{"crc with key", "auth 1\n1 crc k\n", []string{`authkeys:2: auth method [crc] doesn't use a key (remove "k")`}},
		{"crc with comment", "auth 1\n1 crc # no key\n", []string{`authkeys:2: auth method [crc] doesn't use a key (remove "#")`}},
		{"sha1 without key", "auth 1\n1 sha1\n", []string{"authkeys:2: auth method [sha1] requires a key (want 1 sha1 <secret>)"}},
		{"md5 without key", "auth 1\n1 md5\n", []string{"authkeys:2: auth method [md5] requires a key (want 1 md5 <secret>)"}},
		{"several", "auth 1\n1 sha1\nx y\n", []string{
			"authkeys:2: auth method [sha1] requires a key (want 1 sha1 <secret>)",
			`authkeys:3: auth line "x y" is invalid (want <index> <crc|md5|sha1> [<secret>])`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ak, err := ParseAuthKeys("authkeys", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; keys %+v", ak)
			}
			var first *Error
			if !errors.As(err, &first) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyStringHidesSecret(t *testing.T) {
	k := Key{Index: 2, Method: SHA1, Secret: "PASSWORD"}
	if s := k.String(); s != "2 sha1" {
		t.Errorf("String() = %q", s)
	}
}
