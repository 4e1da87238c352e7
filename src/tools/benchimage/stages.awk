# stages.awk sorts the CPU samples of a groot pull, as `go tool pprof
# -traces PROFILE` prints them, by what they were doing and by which
# goroutine of layerstore's import pipeline did it:
#
#   1 inflate:  the goroutine reading the blob, hashing it (digest) and
#               gunzipping it (layerstore's first ahead())
#   2 filter:   the goroutine hashing the tar (diff ID) and running
#               layertar.Filter over it (the second ahead())
#   3 import:   the caller's goroutine, in the host's layer import
#               (host/sim: stream.In writing the files)
#   1/2 pipe:   a pipe goroutine's own copy loop, outside both readers
#   gc:         the garbage collector's workers
#   other:      resolving the image, the scheduler, the rest
#
# scripts/bench-image runs it when BENCH_PROFILE is set; it reads stdin.

function ms(v) {
  if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
  if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
  if (v ~ /ns$/) return substr(v, 1, length(v) - 2) / 1e6
  if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
  return v + 0
}

# kind names what the innermost recognisable frame was doing.
function kind(   i, f, sys, copying) {
  sys = frame[1] ~ /[Ss]yscall/
  for (i = 1; i <= depth; i++) {
    f = frame[i]
    if (sys) {
      if (f ~ /[Oo]penat|rootOpen|\.create|[Mm]kdir|[Ll]inkat|\.Link|[Ss]ymlink|[Uu]nlink|[Rr]eadlink|[Ff]statat|[Ll]stat|\.Stat/) return "syscall: open/create/mkdir/link/stat"
      if (f ~ /[Ww]rite/) return "syscall: write file data"
      if (f ~ /[Rr]ead/) return "syscall: read blob"
      if (f ~ /[Uu]time|[Cc]htimes|[Cc]hmod|[Cc]lose/) return "syscall: chmod/times/close"
      continue
    }
    if (f ~ /sha256/) return "sha256"
    if (f ~ /compress\/flate/) return "inflate"
    if (f ~ /hash\/crc32/) return "crc32 (gzip trailer)"
    if (f ~ /^runtime\.(memmove|memclr)/) { copying = 1; continue }
    if (f ~ /^archive\/tar\.\(\*Writer\)|^archive\/tar\.\(\*formatter\)|^archive\/tar\.Header\.allowedFormats/) return "tar header encode"
    if (copying && f ~ /^archive\/tar\.\(\*(regFileReader|Reader)\)\.Read/) return "tar content copy"
    if (f ~ /^archive\/tar/) return "tar header parse"
    if (f ~ /layertar\.\(\*rules\)|layertar\.[a-z]|stream\.ValidateEntryName|stream\.validate/) return "layertar rules"
    if (f ~ /^io\.\(\*pipe\)|^io\.\(\*Pipe/) return "io.Pipe hand-off"
    if (f ~ /^runtime\.(mallocgc|newobject|growslice|makeslice|rawstring|concatstring|mapassign)/) return "allocation"
    if (f ~ /^runtime\.(mcall|park_m|schedule|findRunnable|gopark|goready|chansend|chanrecv|selectgo|futex|notesleep|notewakeup|usleep|osyield|lock|unlock|semacquire|semrelease)/) return "scheduling/wakeups"
  }
  if (sys) return "syscall: other"
  if (copying) return "memmove (other copies)"
  return "other"
}

function stage(   i, f) {
  for (i = 1; i <= depth; i++) {
    f = frame[i]
    if (f ~ /gcBgMarkWorker|runtime\.gcDrain|runtime\.bgsweep|runtime\.bgscavenge|runtime\.markroot/) return "gc"
    if (f ~ /layertar\.\(\*filter\)\.Read/) return "2 filter"
    if (f ~ /compress\/gzip|compress\/flate/) return "1 inflate"
    if (f ~ /stream\.In$|stream\.\(\*extractor\)|sim\.Layers\.ImportLayer/) return "3 import"
    if (f ~ /layerstore\.ahead/) {
      # A pipe goroutine's own reads and writes: which one it is shows
      # only in what it reads from.
      return "1/2 pipe"
    }
  }
  return "other"
}

function flush(   k, s, i) {
  if (depth == 0) return
  k = kind()
  s = stage()
  # GC work counts as gc, also the assists that allocating goroutines do.
  for (i = 1; i <= depth; i++) if (frame[i] ~ /gcAssist|gcDrain|runtime\.markroot|scanobject|scanObject/) { k = "gc work"; s = "gc"; break }
  if (s == "gc" && k != "gc work") k = "gc work"
  byKind[k] += val
  byStage[s] += val
  cell[s, k] += val
  total += val
  depth = 0
}

/^-+\+-+/ { flush(); next }
/^ +[0-9.]+(ms|s|us|ns) +[^ ]/ {
  flush()
  val = ms($1)
  line = $0
  sub(/^ +[0-9.]+(ms|s|us|ns) +/, "", line)
  frame[++depth] = line
  next
}
/^       *[^ ]/ && depth > 0 {
  line = $0
  sub(/^ +/, "", line)
  frame[++depth] = line
  next
}
/^Duration:/ { print "profile " $0 }
END {
  flush()
  if (total == 0) { print "no samples"; exit }
  printf "\nCPU of one pull: %.0f ms of samples. By what it did (%% of all samples):\n", total
  n = 0
  for (k in byKind) keys[++n] = k
  for (i = 2; i <= n; i++) for (j = i; j > 1 && byKind[keys[j - 1]] < byKind[keys[j]]; j--) { t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t }
  for (i = 1; i <= n; i++) printf "  %-40s %8.0f ms %5.1f%%\n", keys[i], byKind[keys[i]], 100 * byKind[keys[i]] / total
  printf "\nBy pipeline stage (goroutine), and within it:\n"
  m = 0
  for (s in byStage) stages[++m] = s
  for (i = 2; i <= m; i++) for (j = i; j > 1 && stages[j - 1] > stages[j]; j--) { t = stages[j]; stages[j] = stages[j - 1]; stages[j - 1] = t }
  for (a = 1; a <= m; a++) {
    s = stages[a]
    printf "  %-40s %8.0f ms %5.1f%%\n", s, byStage[s], 100 * byStage[s] / total
    for (i = 1; i <= n; i++) if ((s, keys[i]) in cell) printf "      %-36s %8.0f ms %5.1f%%\n", keys[i], cell[s, keys[i]], 100 * cell[s, keys[i]] / total
  }
}
