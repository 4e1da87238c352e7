package main

import "errors"

// runProfile needs the simulated host, which only the Linux build has.
func runProfile([]string) (int, error) {
	return 0, errors.New("profile runs groot against the simulated Windows host, which only the Linux build of benchimage has")
}
