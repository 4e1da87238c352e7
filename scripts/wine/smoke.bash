# shellcheck shell=bash disable=SC2154,SC2016 # wine, prefix, work... come from scripts/test-windows; sh -c scripts take their values as $1...
# Smoke tests of the release's Windows executables under Wine, sourced by
# scripts/test-windows (which sets wine, prefix, work, repo_root, src_dir and
# defines report). Each case runs a real .exe built by scripts/build-binaries
# the way a cell runs it, and checks its exit status and output.
#
# gdn.exe is also booted with the configuration the garden-windows job
# renders, laid out at the paths a cell has (C:\var\vcap\... in the prefix),
# and must answer the Garden API. Plugins not built yet are placeholder files
# there: gdn only checks that they exist until it creates a container.

smoke_passed=0
smoke_failed=0

# smoke NAME EXPECTED_EXIT OUTPUT_REGEX COMMAND... runs COMMAND (with a 60 s
# limit) and checks its exit status and that its output matches OUTPUT_REGEX.
smoke() {
  local name=$1 want_rc=$2 want_out=$3 out rc=0
  shift 3
  out=$(timeout -k 5 60 "$@" 2>&1) || rc=$?
  if [[ ${rc} == "${want_rc}" ]] && grep -Eq -- "${want_out}" <<<"${out}"; then
    report PASS "smoke: ${name}" ""
    smoke_passed=$((smoke_passed + 1))
  else
    report FAIL "smoke: ${name}" "(exit ${rc}, expected ${want_rc} and output matching /${want_out}/)"
    printf '%s\n' "${out}" | tail -15 | sed 's/^/    | /'
    smoke_failed=$((smoke_failed + 1))
  fi
}

# gdn_ping PORT waits up to 30 s for gdn's Garden API to answer.
gdn_ping() {
  local _
  for _ in $(seq 60); do
    if curl -fsS -m 2 "http://127.0.0.1:$1/ping" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

run_smoke_tests() {
  local exe_dir=${work}/exe vcap=${prefix}/drive_c/var/vcap
  # Built as the release builds them, plus the os.RemoveAll shim when the
  # test binaries have it: winc removes state directories, which Wine's
  # missing delete call would otherwise fail (see the top of test-windows).
  local goflags=
  if [[ -n ${overlay_dir:-} && ${#build_flags[@]} -gt 0 ]]; then
    goflags=-overlay=${overlay_dir}/overlay.json
  fi
  GOFLAGS=${goflags} "${repo_root}/scripts/build-binaries" "${exe_dir}" >"${work}/build-binaries.log" 2>&1 || {
    report FAIL "smoke: build the executables" "(log ${work}/build-binaries.log)"
    smoke_failed=$((smoke_failed + 1))
    return
  }
  local gdn=${exe_dir}/gdn/gdn.exe version
  version=$(cd "${src_dir}" && go list -m -f '{{.Version}}' code.cloudfoundry.org/guardian)

  smoke "gdn.exe -v prints the pinned Guardian version" 0 "^${version}\$" "${wine}" "${gdn}" -v
  smoke "gdn.exe --help prints its usage" 0 "Usage of .*gdn.exe" "${wine}" "${gdn}" --help
  smoke "gdn.exe with a missing config file says which" 1 'open C:\\missing\\config.ini' \
    "${wine}" "${gdn}" '--config=C:\missing\config.ini' server
  smoke "gdn.exe with an unknown option names it" 1 "unknown flag .no-such-option" \
    "${wine}" "${gdn}" server --no-such-option
  # winit.exe is the idle first process of every container: it must keep
  # running, so the smoke test expects timeout to stop it (exit 124).
  smoke "winit.exe keeps running" 124 "" timeout 5 "${wine}" "${exe_dir}/winit/winit.exe"

  # winc.exe: its command line, bad bundles, and the first HCS call, which
  # fails under Wine (no vmcompute.dll) and must say so, leaving no state.
  local winc=${exe_dir}/winc/winc.exe smoke_dir=${prefix}/drive_c/winc-smoke
  rm -rf "${smoke_dir}"
  mkdir -p "${smoke_dir}/bad" "${smoke_dir}/good" "${smoke_dir}/root"
  printf '{"root": {' >"${smoke_dir}/bad/config.json"
  printf '%s\n' '{"root":{"path":"\\\\?\\Volume{1}\\"},"process":{"args":["cmd.exe"]},' \
    '"windows":{"layerFolders":["C:\\layers\\base","C:\\volumes\\app"]}}' >"${smoke_dir}/good/config.json"
  local wroot='C:\winc-smoke\root'
  smoke "winc.exe --version" 0 "^winc version dev\$" "${wine}" "${winc}" --version
  smoke "winc.exe --help lists its commands" 0 "exec +run a process" "${wine}" "${winc}" --help
  smoke "winc.exe without a container id says so" 2 "state: give exactly one container id" \
    "${wine}" "${winc}" state
  smoke "winc.exe with a malformed config.json says where" 1 'config\.json is not a valid OCI config: malformed JSON' \
    "${wine}" "${winc}" --root "${wroot}" run --detach --bundle 'C:\winc-smoke\bad' app
  smoke "winc.exe state of an unknown container names it" 1 "container does not exist: nope" \
    "${wine}" "${winc}" --root "${wroot}" state nope
  smoke "winc.exe create fails clearly without the host compute service" 1 \
    'creating container app: .*host compute service is unavailable.*0x0000007e' \
    "${wine}" "${winc}" --root "${wroot}" run --detach --bundle 'C:\winc-smoke\good' app
  smoke "winc.exe leaves no container state after failing" 0 "^\$" ls -A "${smoke_dir}/root"

  # winc-network.exe: its command line, a bad config, and the first HNS
  # call, which fails under Wine and must say why.
  local wnet=${exe_dir}/winc-network/winc-network.exe
  printf '%s' '{"state_dir":"C:\\winc-smoke\\net"}' >"${smoke_dir}/net.json"
  printf '%s' '{"state_dir":"C:\\winc-smoke\\net","subnet_range":"172.30.0.5/22"}' >"${smoke_dir}/bad-net.json"
  smoke "winc-network.exe --version" 0 "^winc-network version dev\$" "${wine}" "${wnet}" --version
  smoke "winc-network.exe without a config file says so" 2 "no --configFile given" \
    "${wine}" "${wnet}" --action up --handle app
  smoke "winc-network.exe with a bad subnet names the field" 1 'subnet_range: .*has host bits set' \
    "${wine}" "${wnet}" --configFile 'C:\winc-smoke\bad-net.json' --action create
  smoke "winc-network.exe create fails clearly without the host networking service" 1 \
    'unavailable.*0x0000007e' \
    "${wine}" "${wnet}" --configFile 'C:\winc-smoke\net.json' --action create

  # nstar.exe: a real stream in and out, into a directory standing for a
  # container's volume, found as on a cell: winc's state names the bundle
  # of the container whose init process gdn gives, and the bundle its
  # volume. An escaping tar is refused.
  local nstar=${exe_dir}/nstar/nstar.exe ndir=${prefix}/drive_c/nstar-smoke
  local wstate=${prefix}/drive_c/var/vcap/data/winc/nstar-smoke
  rm -rf "${ndir}" "${wstate}"
  mkdir -p "${ndir}/bundle" "${ndir}/volume" "${ndir}/src/lib" "${ndir}/evil" "${wstate}"
  printf '%s' '{"root":{"path":"C:\\nstar-smoke\\volume\\"},"windows":{"layerFolders":["a","b"]}}' >"${ndir}/bundle/config.json"
  printf '%s' '{"id":"nstar-smoke","bundle":"C:\\nstar-smoke\\bundle","status":"running","pid":4242}' >"${wstate}/state.json"
  printf 'hello' >"${ndir}/src/index.html"
  printf 'binary' >"${ndir}/src/lib/app.dll"
  tar -C "${ndir}/src" -cf "${ndir}/app.tar" .
  printf 'x' >"${ndir}/evil/evil.txt"
  tar -C "${ndir}/evil" -cf "${ndir}/evil.tar" --transform 's,^,../../,' evil.txt
  smoke "nstar.exe --help" 0 "nstar <tar-bin> <pid> <user> <path>" "${wine}" "${nstar}" --help
  smoke "nstar.exe streams a tar in" 0 "" sh -c '"$1" "$2" tar 4242 vcap "C:\Users\vcap\app" <"$3"' _ "${wine}" "${nstar}" "${ndir}/app.tar"
  smoke "nstar.exe wrote the files into the container's volume" 0 "^binary\$" cat "${ndir}/volume/Users/vcap/app/lib/app.dll"
  smoke "nstar.exe streams them back out" 0 "lib/app.dll" sh -c '"$1" "$2" tar 4242 vcap "C:\Users\vcap\app" . | tar -t' _ "${wine}" "${nstar}"
  smoke "nstar.exe refuses an entry that climbs out, naming it" 1 '\.\./\.\./evil\.txt' \
    sh -c '"$1" "$2" tar 4242 vcap "C:\Users\vcap\app" <"$3"' _ "${wine}" "${nstar}" "${ndir}/evil.tar"
  smoke "nstar.exe wrote nothing outside the destination" 0 "^\$" sh -c 'ls -A "$1/volume/Users" | grep -v "^vcap\$" || true' _ "${ndir}"
  smoke "nstar.exe names an unknown container" 1 "no container has init process 4243" \
    sh -c '"$1" "$2" tar 4243 vcap "C:\x" </dev/null' _ "${wine}" "${nstar}"
  rm -rf "${wstate}"

  # groot.exe: its command line, a bad configuration, a missing image,
  # and the calls that work without HCS (capacity, an idempotent delete).
  local groot=${exe_dir}/groot/groot.exe gdir=${prefix}/drive_c/groot-smoke
  rm -rf "${gdir}"
  mkdir -p "${gdir}"
  printf '%s' '{"driver_store":"C:\\groot-smoke\\store"}' >"${gdir}/groot.json"
  printf '%s' '{"driver_store":"C:\\groot-smoke\\store","log_level":"loud"}' >"${gdir}/bad.json"
  smoke "groot.exe --version" 0 "^groot version dev\$" "${wine}" "${groot}" --version
  smoke "groot.exe create without a handle says so" 2 "create takes an image URI and a handle" \
    "${wine}" "${groot}" --config 'C:\groot-smoke\groot.json' create oci:///C:/x
  smoke "groot.exe with a bad log level names the field" 1 'log_level: "loud"' \
    "${wine}" "${groot}" --config 'C:\groot-smoke\bad.json' capacity
  smoke "groot.exe pull of a missing layout names its path" 1 'C:\\groot-smoke\\missing' \
    "${wine}" "${groot}" --config 'C:\groot-smoke\groot.json' pull oci:///C:/groot-smoke/missing
  smoke "groot.exe capacity reports the driver store's disk" 0 '^\{"capacity":[1-9][0-9]*\}' \
    "${wine}" "${groot}" --config 'C:\groot-smoke\groot.json' capacity
  smoke "groot.exe delete of an unknown handle succeeds" 0 "" \
    "${wine}" "${groot}" --config 'C:\groot-smoke\groot.json' delete app
  smoke "groot.exe left no volume behind" 0 "^\$" sh -c 'ls -A "$1/store/volumes" 2>/dev/null | grep -v "^volumes.lock\$" || true' _ "${gdir}"

  # cell-prep.exe: its command line, a bad configuration naming the field,
  # and a plan, which changes nothing; Wine has no DISM or netsh
  # advfirewall, so those checks report that they could not inspect.
  local cellprep=${exe_dir}/cell-prep/cell-prep.exe
  printf '%s' '{"status_file":"C:\\groot-smoke\\status.json","quota_volume":"C:\\"}' >"${gdir}/cell-prep.json"
  printf '%s' '{"watch_interval_seconds":0}' >"${gdir}/bad-cell-prep.json"
  smoke "cell-prep.exe --version" 0 "^cell-prep version dev\$" "${wine}" "${cellprep}" --version
  smoke "cell-prep.exe with an interval of 0 names the field" 1 'watch_interval_seconds: 0' \
    "${wine}" "${cellprep}" --config 'C:\groot-smoke\bad-cell-prep.json' check
  # (Wine's default prefix says Windows 7, 6.1.7601, which the version check
  # refuses by name.)
  smoke "cell-prep.exe plan reports every check and changes nothing" 0 'windows-version +(Windows|unknown)' \
    "${wine}" "${cellprep}" --config 'C:\groot-smoke\cell-prep.json' plan
  rm -rf "${gdir}"

  # Lay out a cell: the packages, the job rendered by BOSH's renderer, and
  # what the job's pre-start does (create gdn's depot).
  rm -rf "${vcap}"
  mkdir -p "${vcap}/packages" "${vcap}/data/garden/depot"
  cp -r "${exe_dir}/." "${vcap}/packages/"
  local p
  # Plugins this release does not build yet are placeholder files.
  for p in winc/winc.exe groot/groot.exe winc-network/winc-network.exe nstar/nstar.exe cell-prep/cell-prep.exe; do
    mkdir -p "${vcap}/packages/$(dirname "${p}")"
    [ -e "${vcap}/packages/${p}" ] || : >"${vcap}/packages/${p}"
  done
  local port=$((20000 + RANDOM % 20000))
  printf '{"garden":{"listen_address":"127.0.0.1:%s"}}\n' "${port}" >"${work}/garden-props.json"
  (cd "${src_dir}" && go run ./tools/releasetool render "${repo_root}" garden-windows \
    "${vcap}/jobs/garden-windows" "${work}/garden-props.json") >/dev/null

  local config='--config=C:\var\vcap\jobs\garden-windows\config\config.ini' gdn_exe='C:\var\vcap\packages\gdn\gdn.exe'
  mv "${vcap}/packages/nstar/nstar.exe" "${work}/nstar.exe"
  smoke "gdn.exe refuses to start when a plugin is missing, naming it" 1 'config\.ini:[0-9]+: .*C:\\var\\vcap\\packages\\nstar\\nstar\.exe' \
    "${wine}" "${gdn_exe}" "${config}" server
  mv "${work}/nstar.exe" "${vcap}/packages/nstar/nstar.exe"

  local log=${work}/gdn-smoke.log pid
  "${wine}" "${gdn_exe}" "${config}" server >"${log}" 2>&1 &
  pid=$!
  if gdn_ping "${port}"; then
    smoke "gdn.exe with the rendered garden-windows config lists no containers" 0 '^\{"Handles":\[\]\}$' \
      curl -fsS -m 5 "http://127.0.0.1:${port}/containers"
  else
    report FAIL "smoke: gdn.exe with the rendered garden-windows config answers /ping" "(log ${log})"
    tail -15 "${log}" | sed 's/^/    | /'
    smoke_failed=$((smoke_failed + 1))
  fi
  kill "${pid}" 2>/dev/null || true
  wait "${pid}" 2>/dev/null || true
}
