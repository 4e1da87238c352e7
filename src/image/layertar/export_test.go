package layertar

import "archive/tar"

// CheckHeaders applies Filter's rules to headers in order, for headers
// archive/tar cannot write or read back.
func CheckHeaders(hdrs ...*tar.Header) error {
	r := newRules()
	for _, h := range hdrs {
		if err := r.check(h); err != nil {
			return err
		}
	}
	return nil
}
