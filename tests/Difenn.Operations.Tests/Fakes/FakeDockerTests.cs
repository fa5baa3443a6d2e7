using System.Text.Json;
using Difenn.Testing.Processes;

namespace Difenn.Operations.Tests.Fakes;

/// <summary>
/// The contract of the FAKE docker CLI the lab uses (there is no Docker engine here): the output shapes and exit
/// codes of `docker inspect`, `rm -f` and `compose up/down` that the hub probe and the rendered scripts rely on.
/// </summary>
public sealed class FakeDockerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dfn-docker-").FullName;

    public FakeDockerTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bin"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fakes", "docker"), Path.Combine(_root, "bin", "docker"));
        File.SetUnixFileMode(Path.Combine(_root, "bin", "docker"), (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(_root, "docker-images.json"), JsonSerializer.Serialize(new Dictionary<string, string> { ["sleeper:1"] = "/bin/sleep", ["toucher:1"] = "/usr/bin/touch", ["reader:1"] = "/bin/cat" }));
    }

    public void Dispose()
    {
        // Stop whatever the fake engine started.
        if (File.Exists(Path.Combine(_root, "docker-state.json")))
            foreach (var c in JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "docker-state.json"))).RootElement.EnumerateArray())
                if (c.GetProperty("State").TryGetProperty("Pid", out var pid) && pid.GetInt32() > 0)
                    try { System.Diagnostics.Process.GetProcessById(pid.GetInt32()).Kill(); } catch (ArgumentException) { }
        Directory.Delete(_root, true);
    }

    private Task<ProcessResult> Docker(params string[] args) => ProcessRunner.RunAsync(Path.Combine(_root, "bin", "docker"), args);

    [Fact]
    public async Task Inspect_MissingContainer_EmptyArrayAndExit1LikeDocker()
    {
        var r = await Docker("inspect", "--type", "container", "nope");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("[]", r.StdOut.Trim());
        Assert.Contains("No such container: nope", r.StdErr);
    }

    [Fact]
    public async Task ComposeUp_RunsMappedImageThenRecreatesOnlyOnChangeAndDownStops()
    {
        var compose = Path.Combine(_root, "compose.yaml");
        File.WriteAllText(compose, "name: p\nservices:\n  s1:\n    image: sleeper:1\n    container_name: c1\n    restart: unless-stopped\n    network_mode: host\n    command: [\"300\"]\n    cap_drop: [ALL]\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n");
        (await Docker("compose", "-p", "p", "-f", compose, "up", "-d", "--remove-orphans")).EnsureSuccess("compose up");
        var first = JsonDocument.Parse((await Docker("inspect", "c1")).EnsureSuccess("inspect").StdOut).RootElement[0];
        Assert.Equal("/c1", first.GetProperty("Name").GetString());
        Assert.Equal("sleeper:1", first.GetProperty("Config").GetProperty("Image").GetString());
        Assert.Equal(["300"], first.GetProperty("Config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("unless-stopped", first.GetProperty("HostConfig").GetProperty("RestartPolicy").GetProperty("Name").GetString());
        Assert.Equal("host", first.GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
        Assert.True(first.GetProperty("State").GetProperty("Running").GetBoolean());
        Assert.Equal("healthy", first.GetProperty("State").GetProperty("Health").GetProperty("Status").GetString());
        var pid = first.GetProperty("State").GetProperty("Pid").GetInt32();
        Assert.Contains("sleep", File.ReadAllText($"/proc/{pid}/cmdline"));

        // Same file: left running. Changed command: recreated (old process stopped).
        (await Docker("compose", "-p", "p", "-f", compose, "up", "-d")).EnsureSuccess("compose up again");
        Assert.Equal(pid, JsonDocument.Parse((await Docker("inspect", "c1")).StdOut).RootElement[0].GetProperty("State").GetProperty("Pid").GetInt32());
        File.WriteAllText(compose, File.ReadAllText(compose).Replace("[\"300\"]", "[\"301\"]"));
        (await Docker("compose", "-p", "p", "-f", compose, "up", "-d")).EnsureSuccess("compose up changed");
        var second = JsonDocument.Parse((await Docker("inspect", "c1")).StdOut).RootElement[0].GetProperty("State").GetProperty("Pid").GetInt32();
        Assert.NotEqual(pid, second);
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z"));

        (await Docker("compose", "-p", "p", "-f", compose, "down")).EnsureSuccess("compose down");
        Assert.Equal(1, (await Docker("inspect", "c1")).ExitCode);
    }

    [Fact]
    public async Task ComposeUp_NamedVolume_IsAProjectDirectoryTheProcessWritesAndThatOutlivesTheContainer()
    {
        var compose = Path.Combine(_root, "compose.yaml");
        File.WriteAllText(compose, "name: p\nservices:\n  s1:\n    image: toucher:1\n    container_name: c1\n    command: [\"/data/made-inside\"]\n    volumes: [\"state:/data\"]\nvolumes:\n  state: {}\n");
        (await Docker("compose", "-p", "p", "-f", compose, "up", "-d")).EnsureSuccess("compose up");
        var c = JsonDocument.Parse((await Docker("inspect", "c1")).EnsureSuccess("inspect").StdOut).RootElement[0];
        Assert.Equal(["/data/made-inside"], c.GetProperty("Config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["p_state:/data:rw"], c.GetProperty("HostConfig").GetProperty("Binds").EnumerateArray().Select(e => e.GetString()));
        var file = Path.Combine(_root, "volumes", "p_state", "made-inside");
        Assert.True(SpinWait.SpinUntil(() => File.Exists(file), 3000), "the process did not write into the volume");

        (await Docker("compose", "-p", "p", "-f", compose, "down")).EnsureSuccess("compose down");
        Assert.True(File.Exists(file)); // `down` without -v keeps named volumes, as docker does
    }

    /// <summary>
    /// A bind mount of a host directory (docker shows it in Binds as written): the process sees that directory at the
    /// container path, so a file renamed into it later is the new one (the relay's keys directory relies on this).
    /// </summary>
    [Fact]
    public async Task ComposeUp_BindMountedHostDirectory_ShownAsWrittenProcessReachesTheHostFiles()
    {
        var keys = Directory.CreateDirectory(Path.Combine(_root, "keys")).FullName;
        File.WriteAllText(Path.Combine(keys, "server-public-keys"), "key-one\n");
        var compose = Path.Combine(_root, "compose.yaml");
        File.WriteAllText(compose, $"name: p\nservices:\n  s1:\n    image: reader:1\n    container_name: c1\n    command: [\"/etc/k/server-public-keys\"]\n    volumes: [\"state:/data\", \"{keys}:/etc/k:ro\"]\nvolumes:\n  state: {{}}\n");
        (await Docker("compose", "-p", "p", "-f", compose, "up", "-d")).EnsureSuccess("compose up");
        var c = JsonDocument.Parse((await Docker("inspect", "c1")).EnsureSuccess("inspect").StdOut).RootElement[0];
        Assert.Equal(["p_state:/data:rw", $"{keys}:/etc/k:ro"], c.GetProperty("HostConfig").GetProperty("Binds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["/etc/k/server-public-keys"], c.GetProperty("Config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
        var log = Path.Combine(_root, "c1.log"); // the container's output
        Assert.True(SpinWait.SpinUntil(() => File.Exists(log) && File.ReadAllText(log).Contains("key-one"), 3000), "the process did not read the host directory's file");
    }

    [Fact]
    public async Task Build_RuntimeOnlyDockerfile_TagsTheCopiedFileAndComposeRunsIt()
    {
        var context = Directory.CreateDirectory(Path.Combine(_root, "ctx")).FullName;
        File.Copy("/bin/sleep", Path.Combine(context, "app"));
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY --chmod=0755 app /usr/local/bin/app\nENTRYPOINT [\"/usr/local/bin/app\"]\n");
        var built = (await Docker("build", "-t", "app:sha256-1", context)).EnsureSuccess("build");
        Assert.Contains("naming to docker.io/library/app:sha256-1 done", built.StdOut);
        // The image is a copy: changing the context afterwards does not change the image.
        var images = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path.Combine(_root, "docker-images.json")))!;
        Assert.Equal(File.ReadAllBytes("/bin/sleep"), File.ReadAllBytes(images["app:sha256-1"]));
        Assert.NotEqual(Path.Combine(context, "app"), images["app:sha256-1"]);
        Assert.Equal("app", Path.GetFileName(images["app:sha256-1"])); // the process keeps the binary's name

        var compose = Path.Combine(_root, "compose.yaml");
        File.WriteAllText(compose, "name: p\nservices:\n  s1:\n    image: app:sha256-1\n    container_name: c1\n    command: [\"300\"]\n");
        (await Docker("compose", "-p", "p", "-f", compose, "up", "-d")).EnsureSuccess("compose up");
        var c = JsonDocument.Parse((await Docker("inspect", "c1")).EnsureSuccess("inspect").StdOut).RootElement[0];
        Assert.StartsWith(images["app:sha256-1"] + "\0300", File.ReadAllText($"/proc/{c.GetProperty("State").GetProperty("Pid").GetInt32()}/cmdline"));
        Assert.True(c.GetProperty("State").GetProperty("Running").GetBoolean());

        (await Docker("image", "rm", "-f", "app:sha256-1")).EnsureSuccess("image rm");
        Assert.DoesNotContain("app:sha256-1", File.ReadAllText(Path.Combine(_root, "docker-images.json")));
        Assert.Equal(1, (await Docker("image", "rm", "app:sha256-1")).ExitCode);
    }

    [Fact]
    public async Task Build_MissingDockerfileOrNoSingleFileCopy_FailsLikeABuildError()
    {
        var context = Directory.CreateDirectory(Path.Combine(_root, "ctx")).FullName;
        var missing = await Docker("build", "-t", "x:1", context);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("failed to read dockerfile", missing.StdErr);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY nothing-here /x\n");
        Assert.Equal(1, (await Docker("build", "-t", "x:1", context)).ExitCode);
        Assert.False(File.Exists(Path.Combine(_root, "docker-images.json")) && File.ReadAllText(Path.Combine(_root, "docker-images.json")).Contains("x:1"));
    }

    [Fact]
    public async Task RmForce_RemovesNamedOnlyAndFailsForMissing()
    {
        File.WriteAllText(Path.Combine(_root, "docker-state.json"), """
            [{"Name": "/a", "Config": {"Image": "x", "Cmd": [], "Labels": {}}, "State": {"Running": true}, "HostConfig": {"RestartPolicy": {"Name": "no"}, "NetworkMode": "host"}},
             {"Name": "/b", "Config": {"Image": "x", "Cmd": [], "Labels": {}}, "State": {"Running": true}, "HostConfig": {"RestartPolicy": {"Name": "no"}, "NetworkMode": "host"}}]
            """);
        var r = await Docker("rm", "-f", "a");
        Assert.Equal((0, "a"), (r.ExitCode, r.StdOut.Trim()));
        Assert.Equal(1, (await Docker("rm", "-f", "a")).ExitCode);
        Assert.Equal(0, (await Docker("inspect", "b")).ExitCode);
    }
}
