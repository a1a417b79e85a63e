using System.IO.Compression;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Tests.Data.Sequences;

public class NumpySequenceReaderTests
{
    // np.savez_compressed(b, X=np.arange(24, dtype=np.float32).reshape(2,4,3)/4, y=np.array([1,0]), lengths=np.array([3,4])) with NumPy 1.24.2.
    private const string NumpyCompressed = "UEsDBBQAAAAIAAAAIQDhFapliQAAAOAAAAAFABQAWC5ucHkBABAA4AAAAAAAAACJAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6CiY6CsaaOgq1CuQBLgYwaLADEvYMDA5A3ADEC4D4ABA/AGIGBwYGASBWAGIDIHYA4gAgTgDiAiBuAOIOIJ4AxDOAeAEQrwDiDUC8wwEAUEsDBBQAAAAIAAAAIQBx+zmrSAAAAJAAAAAFABQAeS5ucHkBABAAkAAAAAAAAABIAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TaaGuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GkY6mjoKtQoUAC5GBlQAAFBLAwQUAAAACAAAACEA6NDTqEoAAACQAAAACwAUAGxlbmd0aHMubnB5AQAQAJAAAAAAAAAASgAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2mhrqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RpGOpo6CrUKFAAuZgYIYIHSAFBLAQIUAxQAAAAIAAAAIQDhFapliQAAAOAAAAAFAAAAAAAAAAAAAACAAQAAAABYLm5weVBLAQIUAxQAAAAIAAAAIQBx+zmrSAAAAJAAAAAFAAAAAAAAAAAAAACAAcAAAAB5Lm5weVBLAQIUAxQAAAAIAAAAIQDo0NOoSgAAAJAAAAALAAAAAAAAAAAAAACAAT8BAABsZW5ndGhzLm5weVBLBQYAAAAAAwADAJ8AAADGAQAAAAA=";

    // np.savez(b, X=(same X).astype('>f8'), y=np.array([[0.5],[1.5]], dtype=np.float32)): stored members, big-endian float64.
    private const string NumpyStoredBigEndian = "UEsDBBQAAAAAAAAAIQB4CjhbQAEAAEABAAAFABQAWC5ucHkBABAAQAEAAAAAAABAAQAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJz5mOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCA0LCAzKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAAAA/0AAAAAAAAD/gAAAAAAAAP+gAAAAAAAA/8AAAAAAAAD/0AAAAAAAAP/gAAAAAAAA//AAAAAAAAEAAAAAAAAAAQAIAAAAAAABABAAAAAAAAEAGAAAAAAAAQAgAAAAAAABACgAAAAAAAEAMAAAAAAAAQA4AAAAAAABAEAAAAAAAAEARAAAAAAAAQBIAAAAAAABAEwAAAAAAAEAUAAAAAAAAQBUAAAAAAABAFgAAAAAAAEAXAAAAAAAAUEsDBBQAAAAAAAAAIQCRVUsJiAAAAIgAAAAFABQAeS5ucHkBABAAiAAAAAAAAACIAAAAAAAAAJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAxKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAPwAAwD9QSwECFAMUAAAAAAAAACEAeAo4W0ABAABAAQAABQAAAAAAAAAAAAAAgAEAAAAAWC5ucHlQSwECFAMUAAAAAAAAACEAkVVLCYgAAACIAAAABQAAAAAAAAAAAAAAgAF3AQAAeS5ucHlQSwUGAAAAAAIAAgBmAAAANgIAAAAA";

    internal static byte[] NumpyArchive => Convert.FromBase64String(NumpyCompressed);

    private static string Fails(Func<SequenceDataset> read) => Assert.Throws<DataFormatException>(read).Message;

    [Fact]
    public void Reads_a_compressed_npz_written_by_numpy_with_lengths_and_classes()
    {
        SequenceDataset data = NumpySequenceReader.ReadNpz(NumpyArchive, "d.npz");
        Assert.Equal(2, data.Count);
        Assert.Equal(3, data.FeatureCount);
        Assert.Equal([3, 4], new[] { data.Length(0), data.Length(1) });
        Assert.Equal(7, data.TotalSteps); // padding is not stored
        Assert.Equal(Enumerable.Range(0, 9).Select(i => i / 4f), data.Steps(0).ToArray());
        Assert.Equal(Enumerable.Range(12, 12).Select(i => i / 4f), data.Steps(1).ToArray());
        Assert.Equal(SequenceTargetKind.SequenceClass, data.TargetKind);
        Assert.Equal(2, data.ClassCount);
        Assert.Equal([1, 0], new[] { data.SequenceClass(0), data.SequenceClass(1) });
    }

    [Fact]
    public void Reads_a_stored_npz_of_big_endian_float64_with_regression_targets()
    {
        SequenceDataset data = NumpySequenceReader.ReadNpz(Convert.FromBase64String(NumpyStoredBigEndian), "d.npz");
        Assert.Equal([4, 4], new[] { data.Length(0), data.Length(1) });
        Assert.Equal(Enumerable.Range(12, 12).Select(i => i / 4f), data.Steps(1).ToArray());
        Assert.Equal(SequenceTargetKind.SequenceValues, data.TargetKind);
        Assert.Equal([1.5f], data.TargetValues(1).ToArray());
    }

    [Fact]
    public void Per_step_classes_and_values_keep_only_real_steps()
    {
        byte[] x = NpyBytes.Float32([2, 3], 1, 2, 3, 4, 5, 6);
        byte[] lengths = NpyBytes.Int64([2], 2, 3);
        SequenceDataset classes = NumpySequenceReader.ReadNpy(x, NpyBytes.Int64([2, 3], 0, 1, -100, 1, 1, 0), lengths, "d");
        Assert.Equal(SequenceTargetKind.StepClass, classes.TargetKind);
        Assert.Equal([0, 1], classes.StepClasses(0).ToArray());
        Assert.Equal([1, 1, 0], classes.StepClasses(1).ToArray());
        Assert.Equal(1, classes.FeatureCount);

        SequenceDataset values = NumpySequenceReader.ReadNpy(x, NpyBytes.Float32([2, 3, 2], 1, 2, 3, 4, float.NaN, float.NaN, 7, 8, 9, 10, 11, 12), lengths, "d");
        Assert.Equal(SequenceTargetKind.StepValues, values.TargetKind);
        Assert.Equal(2, values.TargetWidth);
        Assert.Equal([1f, 2f, 3f, 4f], values.TargetValues(0).ToArray());

        SequenceDataset wide = NumpySequenceReader.ReadNpy(x, NpyBytes.Float32([2, 2], 1, 2, 3, 4), null, "d");
        Assert.Equal(SequenceTargetKind.SequenceValues, wide.TargetKind);
        Assert.Equal([3f, 4f], wide.TargetValues(1).ToArray());
    }

    [Fact]
    public void Version_2_headers_integer_features_and_no_targets_are_read()
    {
        byte[] x = NpyBytes.Array("<i2", [1, 2, 2], [1, 0, 2, 0, 3, 0, 0xff, 0xff], version: 2);
        SequenceDataset data = NumpySequenceReader.ReadNpy(x, null, null, "d");
        Assert.Equal([1f, 2f, 3f, -1f], data.Steps(0).ToArray());
        Assert.Equal(SequenceTargetKind.None, data.TargetKind);
    }

    [Fact]
    public void Reads_npy_files_from_disk()
    {
        using var dir = new TestSupport.TempDirectory();
        File.WriteAllBytes(dir.File("x.npy"), NpyBytes.Float32([2, 1, 1], 1, 2));
        File.WriteAllBytes(dir.File("y.npy"), NpyBytes.Int64([2], 0, 1));
        File.WriteAllBytes(dir.File("d.npz"), NpyBytes.Zip(CompressionLevel.Optimal, ("x.npy", NpyBytes.Float32([2, 1, 1], 1, 2)), ("Y.npy", NpyBytes.Int64([2], 1, 0))));
        Assert.Equal(1, NumpySequenceReader.ReadNpy(dir.File("x.npy"), dir.File("y.npy")).SequenceClass(1));
        Assert.Equal(0, NumpySequenceReader.ReadNpz(dir.File("d.npz")).SequenceClass(1));
    }

    public static TheoryData<string, byte[], string> BadHeaders => new()
    {
        { "Fortran order", NpyBytes.Array("<f4", [1, 1, 1], new byte[4], "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 1), }"), "d: X: 'fortran_order': expected False (C order), found True: save with np.ascontiguousarray first" },
        { "complex dtype", NpyBytes.Array("<c8", [1, 1, 1], new byte[8]), "d: X: 'descr': expected a dtype of float16/32/64 or an integer of 1 to 8 bytes (e.g. '<f4', '<i8'), found '<c8' (complex)" },
        { "bool dtype", NpyBytes.Array("|b1", [1, 1, 1], new byte[1]), "d: X: 'descr': expected a dtype of float16/32/64 or an integer of 1 to 8 bytes (e.g. '<f4', '<i8'), found '|b1' (bool)" },
        { "string dtype", NpyBytes.Array("<U3", [1, 1, 1], new byte[12]), "d: X: 'descr': expected a dtype of float16/32/64 or an integer of 1 to 8 bytes (e.g. '<f4', '<i8'), found '<U3' (strings)" },
        { "structured dtype", NpyBytes.Array("", [1], [], "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), "d: X: 'descr': expected a plain dtype such as '<f4', found a structured dtype (a list of fields)" },
        { "shape claims more", NpyBytes.Array("<f4", [1, 2, 2], new byte[12]), "d: X: 'shape': (1, 2, 2) of f4 needs 16 bytes of data, found 12 bytes" },
        { "shape claims less", NpyBytes.Array("<f4", [1, 1, 2], new byte[12]), "d: X: 'shape': (1, 1, 2) of f4 needs 8 bytes of data, found 12 bytes" },
        { "huge shape", NpyBytes.Array("<f4", [1L << 40, 1L << 40, 1L << 40], new byte[4]), "d: X: 'shape': (1099511627776, 1099511627776, 1099511627776) of f4 needs more than 2^63 bytes of data, found 4 bytes" },
        { "bad magic", [.. "NUMPY\x01\x00\x00\x00"u8, 0, 0], "d: X: magic: expected the .npy magic \\x93NUMPY, found other bytes (not a .npy array)" },
        { "version 4", [0x93, .. "NUMPY"u8, 4, 0, 0, 0], "d: X: version: expected 1.0, 2.0 or 3.0, found 4.0" },
        { "extra key", NpyBytes.Array("", [1], [], "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), 'x': 1}"), "d: X: header: expected only the keys 'descr', 'fortran_order' and 'shape', found 'x'" },
        { "missing key", NpyBytes.Array("", [1], [], "{'descr': '<f4', 'shape': (1, 1, 1)}"), "d: X: header: expected the keys 'descr', 'fortran_order' and 'shape', found no 'fortran_order'" },
        { "repeated key", NpyBytes.Array("", [1], [], "{'descr': '<f4', 'descr': '<f4'}"), "d: X: 'descr': expected each key once, found it twice" },
        { "negative dimension", NpyBytes.Array("", [1], [], "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 1, 1), }"), "d: X: 'shape': expected a non-negative whole number at character 51, found '-1, 1, 1), }'" },
        { "two dimensions of zero", NpyBytes.Array("<f4", [0, 3], []), "d: X: 'shape': expected (N, T, F) or (N, T) with every dimension at least 1, found (0, 3)" },
        { "truncated header", [0x93, .. "NUMPY"u8, 1, 0, 0x40, 0, .. "{'descr'"u8], "d: X: header: expected 64 bytes, found 8 (file truncated)" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void A_bad_x_array_is_refused_naming_file_array_and_field(string what, byte[] x, string message)
    {
        Assert.False(string.IsNullOrEmpty(what));
        Assert.Equal(message, Fails(() => NumpySequenceReader.ReadNpy(x, null, null, "d")));
    }

    [Fact]
    public void Bad_values_lengths_and_targets_are_named_by_element()
    {
        byte[] x = NpyBytes.Float32([2, 2, 1], 1, 2, 3, float.PositiveInfinity);
        Assert.Equal("d: X: element [1, 1, 0]: expected a finite number within float32 range, found Infinity", Fails(() => NumpySequenceReader.ReadNpy(x, null, null, "d")));
        Assert.Equal(2, NumpySequenceReader.ReadNpy(x, null, NpyBytes.Int64([2], 2, 1), "d").Length(0)); // the infinity is padding

        byte[] good = NpyBytes.Float32([2, 2, 1], 1, 2, 3, 4);
        Assert.Equal("d: lengths: element 1: expected a length from 1 to T = 2, found 3", Fails(() => NumpySequenceReader.ReadNpy(good, null, NpyBytes.Int64([2], 2, 3), "d")));
        Assert.Equal("d: lengths: 'shape': expected (2,) to match X's N, found (3,)", Fails(() => NumpySequenceReader.ReadNpy(good, null, NpyBytes.Int64([3], 1, 1, 1), "d")));
        Assert.Equal("d: y: classes: expected at least two classes, found only 4", Fails(() => NumpySequenceReader.ReadNpy(good, NpyBytes.Int64([2], 4, 4), null, "d")));
        Assert.Equal("d: y: element [1]: expected a class from 0 to 65535, found -1", Fails(() => NumpySequenceReader.ReadNpy(good, NpyBytes.Int64([2], 0, -1), null, "d")));
        Assert.Equal("d: y: 'shape': expected (N,), (N, T), (N, K) or (N, T, K) with N = 2, found (3,)", Fails(() => NumpySequenceReader.ReadNpy(good, NpyBytes.Int64([3], 0, 1, 1), null, "d")));
        Assert.Equal("d: y: 'shape': expected integer classes as (N,) or (N, T) with T = 2, found (2, 3) (use floats for values)", Fails(() => NumpySequenceReader.ReadNpy(good, NpyBytes.Int64([2, 3], 0, 1, 1, 0, 1, 1), null, "d")));
    }

    [Fact]
    public void A_file_over_the_memory_bound_is_refused_before_allocating()
    {
        byte[] x = NpyBytes.Float32([2, 2, 1], 1, 2, 3, 4);
        Assert.Equal("d: size: X (2, 2, 1) would need 28 bytes, more than the 20-byte limit", Fails(() => NumpySequenceReader.ReadNpy(x, null, null, "d", maxBytes: 20)));
    }

    [Fact]
    public void Npz_archives_that_are_not_zips_miss_x_or_lie_about_their_size_are_refused()
    {
        Assert.StartsWith("d.npz: zip: expected a .npz (zip) archive, found ", Fails(() => NumpySequenceReader.ReadNpz("not a zip at all"u8.ToArray(), "d.npz")), StringComparison.Ordinal);
        byte[] onlyY = NpyBytes.Zip(CompressionLevel.NoCompression, ("y.npy", NpyBytes.Int64([1], 0)));
        Assert.Equal("d.npz: X: expected a member X.npy or x.npy, found only y.npy", Fails(() => NumpySequenceReader.ReadNpz(onlyY, "d.npz")));
        byte[] twoX = NpyBytes.Zip(CompressionLevel.NoCompression, ("X.npy", NpyBytes.Float32([1, 1, 1], 1)), ("x.npy", NpyBytes.Float32([1, 1, 1], 1)));
        Assert.Equal("d.npz: X: expected one member X.npy or x.npy, found 2", Fails(() => NumpySequenceReader.ReadNpz(twoX, "d.npz")));
    }

    [Fact]
    public void A_zip_bomb_member_is_refused_without_inflating_it()
    {
        // A 4-byte array header followed by 256 MiB of zeros that deflate to a few hundred kilobytes.
        byte[] header = NpyBytes.Float32([1, 1, 1], 1);
        using var member = new MemoryStream();
        member.Write(header);
        var zeros = new byte[1 << 20];
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream entry = zip.CreateEntry("X.npy", CompressionLevel.Optimal).Open();
            entry.Write(header);
            for (int i = 0; i < 256; i++)
            {
                entry.Write(zeros);
            }
        }

        Assert.True(stream.Length < 2 << 20);
        Assert.Equal("d.npz: X: 'shape': (1, 1, 1) of f4 needs 4 bytes of data, found 268,435,460 bytes", Fails(() => NumpySequenceReader.ReadNpz(stream.ToArray(), "d.npz")));
    }
}
