package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	reference "github.com/wahook/wahook/examples/receiver"
	"github.com/wahook/wahook/internal/hooktest"
)

// action is the part of action.yml the test runs: the composite steps.
type action struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Steps []struct {
			ID  string            `yaml:"id"`
			Run string            `yaml:"run"`
			Env map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// TestActionConformStep runs the GitHub Action's conform step as a runner would, with bash and the
// runner's files, against a receiver that passes and one that fails: the reports land in the
// artifact directory, the Markdown summary in the job summary, and the exit code in the step's
// output, with the args input's quoting kept.
func TestActionConformStep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the action's shell step")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	raw, err := os.ReadFile("../../action.yml")
	require.NoError(t, err)
	var a action
	require.NoError(t, yaml.Unmarshal(raw, &a))
	var script string
	var env map[string]string
	for _, s := range a.Runs.Steps {
		if s.ID == "conform" {
			script, env = s.Run, s.Env
		}
	}
	require.NotEmpty(t, script, "action.yml has a step with id conform")
	for name, value := range env {
		assert.Regexp(t, `^\$\{\{ inputs\.[a-z-]+ \}\}$`, value, "%s comes from an input", name)
	}

	failing := hooktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	passing := hooktest.Server(t, reference.New(reference.Options{}))
	for _, tt := range []struct {
		name, url, code string
	}{{"passing", passing.URL + "/webhook", "0"}, {"failing", failing.URL + "/webhook", "1"}} {
		t.Run(tt.name, func(t *testing.T) {
			temp := t.TempDir()
			bin := filepath.Join(temp, "wahook-bin", "wahook")
			require.NoError(t, os.MkdirAll(filepath.Dir(bin), 0o755))
			wrapper := "#!/bin/sh\n" + runMainEnv + "=1 exec '" + os.Args[0] + "' \"$@\"\n"
			require.NoError(t, os.WriteFile(bin, []byte(wrapper), 0o755))
			summary, output := filepath.Join(temp, "summary"), filepath.Join(temp, "output")
			cmd := exec.Command(bash, "-e", "-c", script)
			cmd.Env = append(os.Environ(), "RUNNER_TEMP="+temp, "GITHUB_STEP_SUMMARY="+summary, "GITHUB_OUTPUT="+output,
				"WAHOOK_TARGET="+tt.url, "WAHOOK_PROVIDER=itniotech", "WAHOOK_PROFILE="+a.Inputs["profile"].Default,
				"WAHOOK_SEED="+a.Inputs["seed"].Default, "WAHOOK_AUTH_USER=", "WAHOOK_AUTH_TOKEN=",
				`WAHOOK_ARGS=--run '^(valid|documented)/itniotech/text' --quiet`)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "the step itself succeeds whatever the suite's verdict: %s", out)
			got, err := os.ReadFile(output)
			require.NoError(t, err)
			assert.Equal(t, "exit-code="+tt.code+"\n", string(got))
			md, err := os.ReadFile(summary)
			require.NoError(t, err)
			assert.Contains(t, string(md), "## wahook conform ")
			for _, name := range []string{"conformance.xml", "conformance.html", "summary.md"} {
				assert.FileExists(t, filepath.Join(temp, "wahook-conformance", name))
			}
			if tt.code == "1" {
				assert.True(t, strings.Contains(string(md), "### Failed cases"), "%s", md)
				assert.DirExists(t, filepath.Join(temp, "wahook-conformance", "payloads"))
			}
		})
	}
}
