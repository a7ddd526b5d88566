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
}
