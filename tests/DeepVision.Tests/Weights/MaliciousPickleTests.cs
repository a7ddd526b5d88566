using System.IO.Compression;
using System.Text;

using DeepVision.Weights;

namespace DeepVision.Tests.Weights;

/// <summary>
/// Pickles crafted to run code when Python's pickle loads them. Our unpickler must refuse each at the global it names,
/// before any call: the marker file the payload would create never appears.
/// </summary>
public class MaliciousPickleTests
{
    public static TheoryData<string, string> Payloads() => new()
    {
        // protocol 0 GLOBAL + REDUCE: os.system("touch MARKER")
        { "os.system", "cos\nsystem\n(S'touch MARKER'\ntR." },
        { "posix.system", "cposix\nsystem\n(S'touch MARKER'\ntR." },
        // builtins.eval through GLOBAL with protocol 2 framing
        { "builtins.eval", "\u0080\u0002cbuiltins\neval\nX\u0018\u0000\u0000\u0000open('MARKER','w').close()\u0085R." },
        // subprocess.Popen hidden inside a plausible state_dict
        { "subprocess.Popen", "\u0080\u0002}(X\u0006\u0000\u0000\u0000weightcsubprocess\nPopen\n]X\u0005\u0000\u0000\u0000touchaX\u0006\u0000\u0000\u0000MARKERa\u0085Ru." },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void A_pickle_that_calls_anything_else_is_refused_before_it_runs(string global, string pickle)
    {
        using var folder = new TempFolder();
        var marker = Path.Combine(folder.Path, "MARKER");
        var payload = Encoding.Latin1.GetBytes(pickle);
        var previous = Environment.CurrentDirectory;
        // Both containers: inside a torch.save zip archive, and as a bare (legacy-looking) pickle.
        var zipped = Path.Combine(folder.Path, "evil.pth");
        using (var zip = ZipFile.Open(zipped, ZipArchiveMode.Create))
        {
            using var entry = zip.CreateEntry("archive/data.pkl").Open();
            entry.Write(payload);
        }
        var bare = Path.Combine(folder.Path, "evil-legacy.pth");
        File.WriteAllBytes(bare, payload);

        try
        {
            Environment.CurrentDirectory = folder.Path;
            var error = Assert.Throws<ForbiddenGlobalException>(() => PyTorchFile.ReadObject(zipped));
            Assert.Equal(global, $"{error.Module}.{error.Name}");
            Assert.Contains(global, error.Message);
            Assert.Contains("evil.pth", error.Message);
            Assert.Contains("refused before anything ran", error.Message);

            // A bare pickle is read as the legacy format, whose first pickle must be the magic number.
            var legacy = Assert.ThrowsAny<Exception>(() => PyTorchFile.ReadObject(bare));
            Assert.True(legacy is ForbiddenGlobalException or InvalidDataException, legacy.ToString());
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        Assert.False(File.Exists(marker), "the payload ran");
    }

    [Fact]
    public void The_allow_list_is_exactly_what_a_state_dict_needs()
    {
        Assert.True(Unpickler.IsAllowed("collections", "OrderedDict"));
        Assert.True(Unpickler.IsAllowed("torch._utils", "_rebuild_tensor_v2"));
        Assert.True(Unpickler.IsAllowed("torch", "FloatStorage"));
        Assert.False(Unpickler.IsAllowed("torch", "load"));
        Assert.False(Unpickler.IsAllowed("builtins", "getattr"));
        Assert.False(Unpickler.IsAllowed("builtins", "exec"));
        Assert.False(Unpickler.IsAllowed("torch._utils", "_rebuild_from_type_v2")); // can call arbitrary types
    }

    /// <summary>Writes <paramref name="pickle"/> as the data.pkl of a torch.save zip archive.</summary>
    private static string Zipped(TempFolder folder, byte[] pickle)
    {
        var path = Path.Combine(folder.Path, "crafted.pth");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using var entry = zip.CreateEntry("archive/data.pkl").Open();
        entry.Write(pickle);
        return path;
    }

    [Theory]
    [InlineData("runs_os_system.pth")]
    [InlineData("runs_os_system_legacy.pth")]
    public void A_file_that_torch_save_wrote_with_an_os_system_call_is_refused_before_it_runs(string file)
    {
        // tests/data/generate.py saved an object whose __reduce__ is os.system("touch MARKER") (posix.system on Linux).
        using var folder = new TempFolder();
        var previous = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = folder.Path;
            var error = Assert.Throws<ForbiddenGlobalException>(() => PyTorchFile.ReadObject(RepoPaths.TestData("untrusted", file)));
            Assert.Equal("posix.system", $"{error.Module}.{error.Name}");
            Assert.Contains(file, error.Message);
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        Assert.False(File.Exists(Path.Combine(folder.Path, "MARKER")), "the payload ran");
    }

    [Fact]
    public void A_pickle_nested_100000_deep_is_refused_instead_of_overflowing_the_stack()
    {
        // A stack overflow would end the test process (and a learner's kernel); no catch could stop it. The reader
        // runs here on a thread with a 1 MB stack, smaller than a kernel's, so the bound does not depend on a big stack.
        var path = RepoPaths.TestData("untrusted", "nested_100000_deep.pth");
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { PyTorchFile.ReadObject(path); }
            catch (Exception e) { error = e; }
        }, maxStackSize: 1 << 20);
        thread.Start();
        thread.Join();
        var refused = Assert.IsType<InvalidDataException>(error);
        Assert.Contains("nested_100000_deep.pth", refused.Message);
        Assert.Contains($"more than {PyTorchFile.MaxNesting} levels", refused.Message);
    }

    [Fact]
    public async Task Shared_references_are_walked_once_not_once_per_path()
    {
        // 64 levels of [x, x]: 1.3 KB that stand for 2^64 paths to one tensor. A tree walk would never finish.
        var path = RepoPaths.TestData("untrusted", "shared_references_2_pow_64.pth");
        var read = await Task.Run(() => PyTorchFile.ReadObject(path)).WaitAsync(TimeSpan.FromSeconds(30)); // TimeoutException if it hangs
        var level = Assert.IsType<PyDict>(read)["state"];
        for (var i = 0; i < 64; i++)
        {
            var pair = Assert.IsType<List<object?>>(level);
            Assert.Same(pair[0], pair[1]);
            level = pair[0];
        }
        Assert.Equal([1L], Assert.IsType<Tensor>(Assert.Single(Assert.IsType<List<object?>>(level))).shape);
        Assert.Contains("without tensors", Assert.Throws<InvalidDataException>(() => PyTorchFile.ReadStateDict(path)).Message);
    }

    [Fact]
    public void A_list_that_contains_itself_reads_without_looping()
    {
        using var folder = new TempFolder();
        // PROTO 2, EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: l = []; l.append(l)
        var path = Zipped(folder, [0x80, 0x02, (byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a', (byte)'.']);
        var list = Assert.IsType<List<object?>>(PyTorchFile.ReadObject(path));
        Assert.Same(list, Assert.Single(list));
    }

    [Theory]
    [InlineData("offset_out_of_bounds.pth", "reaches past the end")]
    [InlineData("stride_out_of_bounds.pth", "reaches past the end")]
    [InlineData("size_overflows.pth", "beyond any file")]
    [InlineData("negative_size.pth", "negative")]
    [InlineData("storage_record_missing.pth", "which the archive lacks")]
    [InlineData("unsupported_storage_type.pth", "ComplexDoubleStorage")]
    public void A_tensor_pointing_outside_the_file_is_refused_with_the_file_named(string file, string reason)
    {
        // Made by tests/data/generate.py: torch.save's layout around one tensor whose numbers are wrong.
        var error = Assert.ThrowsAny<Exception>(() => PyTorchFile.ReadStateDict(RepoPaths.TestData("untrusted", file)));
        Assert.True(error is InvalidDataException or ForbiddenGlobalException, error.ToString());
        Assert.Contains(file, error.Message);
        Assert.Contains(reason, error.Message);
    }
}
