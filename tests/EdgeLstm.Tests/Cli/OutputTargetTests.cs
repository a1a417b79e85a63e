using System.Diagnostics;
using System.Text;
using EdgeLstm.IO;

namespace EdgeLstm.Tests.Cli;

/// <summary>
/// Every output is checked before the first iteration, and only regular files are ever replaced (issue 10, items 3, 4
/// and 7): a wrong --out costs a second, not a run; /dev/null and FIFOs stay what they are; symbolic links are followed.
/// </summary>
public class OutputTargetTests
{
    [Fact]
    public void A_directory_as_out_is_refused_before_training()
    {
        using var cli = new CliHarness(train: 20, test: 4);
        var result = cli.TrainSmall(cli.Directory);
        CliAssert.RefusedBeforeTraining(result, $"error: --out {cli.Directory} is a directory, not a regular file: refusing to replace it.");

        var slash = cli.TrainSmall(cli.File("sub") + "/");
        CliAssert.RefusedBeforeTraining(slash, "names a directory, not a file.");
    }

    [Fact]
    public void A_device_node_is_never_replaced()
    {
        using var cli = new CliHarness(train: 20, test: 4);
        var result = cli.TrainSmall("/dev/null");
        CliAssert.RefusedBeforeTraining(result, "error: --out /dev/null is a character device, not a regular file: refusing to replace it.");
        Assert.Equal("a character device", FileKind.Describe("/dev/null"));

        // Nor as the checkpoint, nor as inspect's figure.
        CliAssert.Error(cli.TrainSmall(cli.File("m.safetensors"), "--checkpoint", "/dev/null"), 1, "error: --checkpoint /dev/null is a character device");
        Assert.Equal(0, cli.TrainSmall(cli.File("m.safetensors")).ExitCode);
        var inspect = cli.Run("inspect", cli.File("m.safetensors"), "--data", cli.DataDirectory, "--svg", "/dev/null");
        CliAssert.Error(inspect, 1, "error: --svg /dev/null is a character device");
        Assert.DoesNotContain("Part 2", inspect.Out, StringComparison.Ordinal);
        Assert.Equal("a character device", FileKind.Describe("/dev/null"));
    }

    [Fact]
    public void A_fifo_is_refused_and_stays_a_fifo()
    {
        using var cli = new CliHarness(train: 20, test: 4);
        string fifo = cli.File("pipe.safetensors");
        Run("mkfifo", fifo);
        var result = cli.TrainSmall(fifo);
        CliAssert.RefusedBeforeTraining(result, $"error: --out {fifo} is a FIFO (named pipe), not a regular file");
        Assert.Equal("a FIFO (named pipe)", FileKind.Describe(fifo));
    }

    [Fact]
    public void An_unwritable_directory_is_found_before_training()
    {
        // /sys takes no new files, even from root (the tests may run as root, where permissions do not stop a write).
        using var cli = new CliHarness(train: 20, test: 4);
        var result = cli.TrainSmall("/sys/model.safetensors");
        CliAssert.RefusedBeforeTraining(result, "error: --out /sys/model.safetensors: cannot ");
    }

    [Fact]
    public void A_long_legal_name_is_written_although_the_temporary_name_would_pass_name_max()
    {
        using var cli = new CliHarness(train: 20, test: 4);
        string name = new string('m', 255 - ".safetensors".Length) + ".safetensors";
        Assert.Equal(255, name.Length);
        var result = cli.TrainSmall(cli.File(name), "--checkpoint", cli.File("c.safetensors"));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(cli.File(name)));

        // The checkpoint's default name adds ".checkpoint" to it, past the limit: found before training, not at Ctrl-C.
        string tooLong = cli.File(name[..^".safetensors".Length] + ".checkpoint.safetensors");
        CliAssert.RefusedBeforeTraining(cli.TrainSmall(cli.File(name)), $"error: --checkpoint {tooLong}: the file name is 266 bytes long; file systems take at most 255.");

        // Multi-byte names are cut at whole characters: the temporary stays within 255 bytes and valid UTF-8.
        string wide = string.Concat(Enumerable.Repeat("é😀", 60));
        string temporary = Path.GetFileName(AtomicFile.TemporaryName(Path.Combine(cli.Directory, wide)));
        Assert.InRange(Encoding.UTF8.GetByteCount(temporary), 200, 255);
        Assert.Equal(temporary, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(temporary)));
        Assert.Equal(Environment.ProcessId, AtomicFile.OwnerOf(temporary));
    }

    [Fact]
    public void A_symbolic_link_is_followed_and_its_target_replaced_while_the_link_stays()
    {
        using var cli = new CliHarness(train: 20, test: 4);
        Directory.CreateDirectory(cli.File("models"));
        string target = cli.File("models/real.safetensors");
        File.WriteAllText(target, "old");
        string link = cli.File("link.safetensors");
        File.CreateSymbolicLink(link, "models/real.safetensors");

        var result = cli.TrainSmall(link);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("models/real.safetensors", new FileInfo(link).LinkTarget);
        Assert.Equal(8, ModelFile.Load(target).Model.Config.HiddenSize);

        // A link to nothing creates its target; a link to a device is refused like the device.
        string dangling = cli.File("dangling.safetensors");
        File.CreateSymbolicLink(dangling, cli.File("models/new.safetensors"));
        Assert.Equal(0, cli.TrainSmall(dangling).ExitCode);
        Assert.True(File.Exists(cli.File("models/new.safetensors")));

        string toNull = cli.File("null.safetensors");
        File.CreateSymbolicLink(toNull, "/dev/null");
        CliAssert.Error(cli.TrainSmall(toNull), 1, $"error: --out /dev/null (the target of the symbolic link {toNull}) is a character device");
    }

    [Fact]
    public void A_disk_without_room_for_the_output_is_found_before_the_work()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        string path = cli.File("huge.safetensors");
        var e = Assert.Throws<IOException>(() => AtomicFile.CheckWritable(path, 1L << 52));
        Assert.StartsWith($"{path}: cannot write 4,503,599,627,370,496 bytes in {cli.Directory}: ", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(cli.Directory, ".huge*"));
        Assert.Equal(path, AtomicFile.CheckWritable(path, 4096));
        Assert.Empty(Directory.EnumerateFiles(cli.Directory, ".huge*"));
    }

    [Fact]
    public void Temporaries_left_by_dead_processes_are_removed_on_the_next_write_and_no_others()
    {
        using var cli = new CliHarness(train: 1, test: 1);
        int dead = DeadProcessId();
        string guid = Guid.NewGuid().ToString("N");
        string stale = cli.File($".m.safetensors.{dead}.{guid}.tmp");
        string ours = cli.File($".m.safetensors.{Environment.ProcessId}.{guid}.tmp");
        string alive = cli.File($".other.safetensors.1.{guid}.tmp");
        string foreign = cli.File($".m.safetensors.{dead}.not-a-guid.tmp");
        foreach (string file in new[] { stale, ours, alive, foreign })
        {
            File.WriteAllText(file, "partial");
        }

        AtomicFile.Write(cli.File("other.safetensors"), s => s.WriteByte(1));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(ours));
        Assert.True(File.Exists(alive));
        Assert.True(File.Exists(foreign));
    }

    private static int DeadProcessId()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
