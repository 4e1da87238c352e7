# Checks run by scripts/test, as functions so that scripts/test can also run
# them against deliberately broken inputs and prove each one can fail.
# Each takes the directory to check and returns non-zero on failure.

# Go files that gofmt would change.
check_gofmt() {
  local unformatted
  unformatted=$(gofmt -l "$@")
  if [ -n "$unformatted" ]; then
    echo "these Go files are not gofmt-formatted (run gofmt -w on them):"
    echo "$unformatted"
    return 1
  fi
}

# go vet of a module for one GOOS.
check_vet() {
  local module=$1 goos=$2
  (cd "$module" && GOOS=$goos GOARCH=amd64 go vet ./...)
}

# Builds and links every package's tests as Windows executables, so Windows
# test code (and code behind _windows.go files) compiles even though it cannot
# run here.
check_windows_test_build() {
  local module=$1
  # -o /dev/null: compiled and linked, never written; a directory would
  # make packages of one name (cmd/groot and groot) collide.
  (cd "$module" && GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go test -c -o /dev/null ./...)
}

# go test of the packages whose import path matches (or not) a pattern.
check_go_test() {
  local module=$1 mode=$2 pattern=$3 pkgs
  if [ "$mode" = only ]; then
    pkgs=$(cd "$module" && go list ./... | grep -E "$pattern")
  else
    pkgs=$(cd "$module" && go list ./... | grep -vE "$pattern")
  fi
  # shellcheck disable=SC2086 # one argument per package
  (cd "$module" && go test -count=1 $pkgs)
}

# yamllint of YAML files and directories (every *.yml and *.yaml below them)
# with a yamllint config; warnings fail the check too.
check_yaml() {
  local config=$1
  shift
  yamllint --strict --config-file "$config" "$@"
}
