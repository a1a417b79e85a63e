using System.IO.Compression;
using EdgeLstm.IO;
using EdgeLstm.Model;
using EdgeLstm.Tests.TestSupport;

namespace EdgeLstm.Tests.Reliability;

/// <summary>
/// The reported crashes and memory blow-ups, run as a user runs them: the real CLI in its own process, where a crash is
/// an exit code of 134 and memory is capped by the GC heap limit, so "bounded memory" can fail the test.
/// </summary>
public sealed class HostileInputCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _data;
    private readonly string _model;

    public HostileInputCliTests()
    {
        _data = _dir.File("data");
        IdxBuilder.WriteDataset(_data, train: 20, test: 10);
        _model = _dir.File("m.safetensors");
        ModelFile.Save(LstmModel.Create(new LstmConfig(28, 8, 1, 10, 28), 5), _model);
    }

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Variables(long heapLimit = 0) => new()
    {
        ["MODEL"] = _model,
        ["DATA"] = _data,
        ["DIR"] = _dir.Path,

        // A cap on the GC heap: a reader that allocates by a header's claim dies of OutOfMemoryException under it.
        ["DOTNET_GCHeapHardLimit"] = heapLimit > 0 ? $"0x{heapLimit:X}" : string.Empty,
    };

    [Fact]
    public void A_model_read_from_a_pipe_works_like_the_file()
    {
        var file = OutOfProcessCli.Bash("\"$CLI\" predict \"$MODEL\" --index 0 --data \"$DATA\" --threads 1", Variables());
        Assert.True(file.ExitCode == 0, file.ToString());

        // Before: "Stream does not support seeking", an unhandled NotSupportedException (exit 134).
        var substituted = OutOfProcessCli.Bash("\"$CLI\" predict <(cat \"$MODEL\") --index 0 --data \"$DATA\" --threads 1", Variables());
        Assert.True(substituted.ExitCode == 0, substituted.ToString());
        var stdin = OutOfProcessCli.Bash("\"$CLI\" predict /dev/stdin --index 0 --data \"$DATA\" --threads 1 < \"$MODEL\"", Variables());
        Assert.True(stdin.ExitCode == 0, stdin.ToString());

        // The same class and probabilities, whatever the path names the model as.
        string Table(string output) => output[output.IndexOf("class", StringComparison.Ordinal)..];
        Assert.Equal(Table(file.Out), Table(substituted.Out));
        Assert.Equal(Table(file.Out), Table(stdin.Out));
    }

    [Fact]
    public void A_truncated_model_from_a_pipe_is_a_clean_error()
    {
        var result = OutOfProcessCli.Bash("\"$CLI\" predict <(head -c 3000 \"$MODEL\") --index 0 --data \"$DATA\"", Variables());
        Assert.Equal(1, result.ExitCode);
        Assert.Matches("^error: /dev/fd/[0-9]+: ", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public void Predict_on_dev_zero_fails_quickly_in_little_memory()
    {
        // Before: File.ReadAllBytes("/dev/zero") grew to 4 GB and aborted; under a 128 MB heap it dies at once.
        var result = OutOfProcessCli.Bash("\"$CLI\" predict \"$MODEL\" --pgm /dev/zero", Variables(128L << 20), timeoutSeconds: 60);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("error: /dev/zero: magic number: expected a short header token, found a long run of bytes", result.Error.Trim());
    }

    [Fact]
    public void A_gzip_that_inflates_to_a_gibibyte_is_refused_from_its_header_in_little_memory()
    {
        // 1 GiB of zeros after a header that states 1,369,000 images of 28×28 (1.07 G pixels): a gzip of a few MB.
        string images = Path.Combine(_data, "t10k-images-idx3-ubyte.gz");
        using (var gzip = new GZipStream(File.Create(images), CompressionLevel.Optimal))
        {
            gzip.Write(IdxBuilder.Raw(0x00000803, [1_369_000, 28, 28], []));
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++)
            {
                gzip.Write(zeros);
            }
        }

        Assert.True(new FileInfo(images).Length < 8 << 20);

        // Before: 6.3 GB of RSS reading it; now refused from the dimensions, under a 256 MB heap.
        var result = OutOfProcessCli.Bash("\"$CLI\" evaluate \"$MODEL\" --data \"$DATA\"", Variables(256L << 20), timeoutSeconds: 60);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"error: {images}: size: 1369000 images of 28×28 would need 1,084,248,000 bytes, more than the 268,435,456-byte limit", result.Error.Trim());
    }
}
