// Command benchgen times `wahook gen` against a bare baseline, as `make bench-gen` runs it.
//
// The baseline is the least a fake-data generator can cost: a struct of gofakeit's name, phone and
// ten-word sentence, encoded with encoding/json through a bufio.Writer to a file, one line each. The
// candidate is `wahook gen --format jsonl --count N --quiet --force`, which writes realistic webhook
// payloads and a manifest line with a SHA-256 for each. Both run as child processes of a binary built
// beforehand, so both pay process start-up and neither pays compilation; each runs -runs times and the
// fastest run counts. Dirty pages are synced to disk before each run, so that no run pays for the
// writeback of the one before. Peak RSS comes from the kernel's accounting of each child (getrusage).
// The goal is on wall time, but each child's CPU time (user and system, on every core) is reported too:
// on a shared machine, other load changes the wall time of a program that uses both cores far more
// than its CPU time.
//
//	go run ./internal/benchgen -count 1000000
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/brianvoe/gofakeit/v6"
)

func main() {
	count := flag.Int("count", 1_000_000, "lines (baseline) and payloads (wahook gen) to write")
	runs := flag.Int("runs", 3, "runs of each; the fastest counts")
	dir := flag.String("dir", "", "where to write (default: the system's temporary directory)")
	baseline := flag.String("baseline", "", "internal: write the baseline to this file and exit")
	flag.Parse()
	if *baseline != "" {
		if err := writeBaseline(*baseline, *count); err != nil {
			fmt.Fprintln(os.Stderr, "benchgen:", err)
			os.Exit(2)
		}
		return
	}
	if err := bench(*count, *runs, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(2)
	}
}

// line is the baseline's record.
type line struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Sentence string `json:"sentence"`
}

func writeBaseline(name string, count int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	fake := gofakeit.New(1) // 0 would mean "random"
	for range count {
		if err := enc.Encode(line{fake.Name(), fake.Phone(), fake.Sentence(10)}); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// result is one timed child process.
type result struct {
	elapsed time.Duration
	cpu     time.Duration // user and system time of the child, on every core
	peakRSS int64         // bytes; 0 where the platform does not say
	bytes   int64         // written to disk
}

func bench(count, runs int, parent string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "benchgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	wahook := filepath.Join(tmp, "wahook")
	build := exec.Command("go", "build", "-o", wahook, "./cmd/wahook")
	build.Dir, build.Stdout, build.Stderr = root, os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build wahook: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	fmt.Printf("%d runs each of %d lines/payloads in %s; GOMAXPROCS %d, %d CPUs, %s/%s, %s\n",
		runs, count, tmp, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	var base, gen []result
	for i := range runs {
		out := filepath.Join(tmp, fmt.Sprintf("baseline-%d.jsonl", i))
		settle()
		r, err := timed(exec.Command(self, "-baseline", out, "-count", fmt.Sprint(count)), out)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		os.Remove(out)
		base = append(base, r)

		dir := filepath.Join(tmp, fmt.Sprintf("gen-%d", i))
		settle()
		r, err = timed(exec.Command(wahook, "gen", "--format", "jsonl", "--count", fmt.Sprint(count), "--quiet", "--out", dir, "--force"), dir)
		if err != nil {
			return fmt.Errorf("wahook gen: %w", err)
		}
		if err := checkManifest(filepath.Join(dir, "manifest.jsonl"), count); err != nil {
			return err
		}
		os.RemoveAll(dir)
		gen = append(gen, r)
		fmt.Printf("  run %d: baseline %v (CPU %v), wahook gen %v (CPU %v)\n", i+1,
			base[i].elapsed.Round(time.Millisecond), base[i].cpu.Round(time.Millisecond),
			gen[i].elapsed.Round(time.Millisecond), gen[i].cpu.Round(time.Millisecond))
	}

	b, g := fastest(base), fastest(gen)
	report := func(name string, r result, unit string) {
		fmt.Printf("%-60s %8.2fs  %6.2f µs/%s  CPU %6.2f µs/%s  %7.1f MiB written  peak RSS %s\n", name, r.elapsed.Seconds(),
			float64(r.elapsed.Microseconds())/float64(count), unit, float64(r.cpu.Microseconds())/float64(count), unit,
			float64(r.bytes)/(1<<20), mib(r.peakRSS))
	}
	report("(a) baseline: gofakeit name+phone+sentence, encoding/json", b, "line")
	report("(b) wahook gen --format jsonl (payloads + manifest)", g, "payload")
	fmt.Printf("ratio (b)/(a) per payload: %.2f (goal: at most 1.30); CPU time ratio %.2f\n",
		g.elapsed.Seconds()/b.elapsed.Seconds(), g.cpu.Seconds()/b.cpu.Seconds())
	return nil
}

// timed runs cmd, measuring its wall time, its peak RSS and the size of what it wrote to out.
func timed(cmd *exec.Cmd, out string) (result, error) {
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return result{}, err
	}
	st := cmd.ProcessState
	r := result{elapsed: time.Since(start), cpu: st.UserTime() + st.SystemTime(), peakRSS: peakRSS(st)}
	err := filepath.Walk(out, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			r.bytes += info.Size()
		}
		return err
	})
	return r, err
}

func fastest(rs []result) result {
	return slices.MinFunc(rs, func(a, b result) int { return int(a.elapsed - b.elapsed) })
}

func mib(n int64) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// checkManifest makes sure gen wrote what it was asked to: count manifest lines.
func checkManifest(name string, count int) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if n != count {
		return fmt.Errorf("wahook gen wrote %d manifest lines, want %d", n, count)
	}
	return nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the wahook module")
		}
		dir = parent
	}
}
