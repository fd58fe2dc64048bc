package ldcf

// This is the only file of the package that touches the system: it reads
// the config file for Load and provides lookups backed by the resolver and
// /etc/services for SystemOptions.

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
)

// Load reads and parses the ldirectord.cf at path. A read failure is
// returned as an *Error with line 0 (ldirectord: "can not open file").
func Load(path string, opt Options) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read config: %v", err)}
	}
	return Parse(path, src, opt)
}

// lookupTimeout bounds one host-name lookup of SystemOptions.
const lookupTimeout = 10 * time.Second

// servicesFile is the services(5) database read by SystemOptions.
const servicesFile = "/etc/services"

// SystemOptions returns Options that resolve host names with the system
// resolver (net.DefaultResolver, each lookup bounded by 10 s) and service
// names from /etc/services, falling back to the built-in table when the
// file is missing or lacks the name; Hostname is os.Hostname.
func SystemOptions() Options {
	var table ServicesTable
	if f, err := os.Open(servicesFile); err == nil {
		table, _ = ParseServices(f)
		f.Close()
	}
	host, _ := os.Hostname()
	return Options{
		LookupHost: func(name string) ([]netip.Addr, error) {
			ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
			defer cancel()
			addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
			if err != nil {
				return nil, fmt.Errorf("looking up %s: %w", name, err)
			}
			return addrs, nil
		},
		LookupPort: func(proto, service string) (uint16, error) {
			if port, err := table.Lookup(proto, service); err == nil {
				return port, nil
			}
			return BuiltinLookupPort(proto, service)
		},
		Hostname: host,
	}
}
