using System.Globalization;
using System.Text;
using EdgeLstm.Data;
using EdgeLstm.Data.Sequences;

namespace EdgeLstm.Tests.Data.Sequences;

public class CsvSequenceReaderTests
{
    internal static SequenceDataset Read(string csv, CsvSequenceOptions options) => CsvSequenceReader.Read(Encoding.UTF8.GetBytes(csv), "s.csv", options);

    internal static string Fails(string csv, CsvSequenceOptions options) =>
        Assert.Throws<DataFormatException>(() => Read(csv, options)).Message;

    private static CsvSequenceOptions Named(string target = "label", TargetPlacement placement = TargetPlacement.Auto, MissingValuePolicy missing = MissingValuePolicy.Error, SequenceTask task = SequenceTask.Auto, long maxBytes = MemoryBudget.DefaultMaxBytes) => new()
    {
        Id = ColumnRef.ByName("id"),
        Time = ColumnRef.ByName("t"),
        Targets = [ColumnRef.ByName(target)],
        Placement = placement,
        Missing = missing,
        Task = task,
        MaxBytes = maxBytes,
    };

    [Fact]
    public void Sequences_of_3_to_40_steps_with_per_step_labels_round_trip_in_time_order()
    {
        // 38 sequences of 3..40 steps, rows written in reverse time order and interleaved; per-step labels by parity.
        var csv = new StringBuilder("id,t,a,b,label\n");
        var rows = new List<string>();
        for (int s = 0; s < 38; s++)
        {
            int length = s + 3;
            for (int t = length - 1; t >= 0; t--)
            {
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"seq{s},{t},{s + (t * 0.5)},{-t},{((s + t) % 2 == 0 ? "even" : "odd")}"));
            }
        }

        foreach (string row in rows.OrderBy(r => r.GetHashCode(StringComparison.Ordinal)).OrderBy(r => int.Parse(r.Split(',')[1], CultureInfo.InvariantCulture) % 3))
        {
            csv.Append(row).Append('\n');
        }

        SequenceDataset data = Read(csv.ToString(), Named());
        Assert.Equal(38, data.Count);
        Assert.Equal(40, data.MaxLength);
        Assert.Equal(SequenceTargetKind.StepClass, data.TargetKind);
        Assert.Equal(["even", "odd"], data.ClassNames);
        Assert.Equal(["a", "b"], data.FeatureNames);
        for (int i = 0; i < data.Count; i++)
        {
            int s = int.Parse(data.Id(i)[3..], CultureInfo.InvariantCulture);
            Assert.Equal(s + 3, data.Length(i));
            ReadOnlySpan<float> steps = data.Steps(i);
            ReadOnlySpan<int> labels = data.StepClasses(i);
            for (int t = 0; t < data.Length(i); t++)
            {
                Assert.Equal(s + (t * 0.5f), steps[t * 2]);
                Assert.Equal(-t, steps[(t * 2) + 1]);
                Assert.Equal((s + t) % 2, labels[t]);
            }
        }
    }

    [Fact]
    public void A_constant_target_is_per_sequence_and_class_names_index_in_ordinal_order()
    {
        SequenceDataset data = Read("id,t,x,label\nb,1,1,cat\nb,0,2,cat\na,0,3,dog\nc,0,4,ant\n", Named());
        Assert.Equal(SequenceTargetKind.SequenceClass, data.TargetKind);
        Assert.Equal(["ant", "cat", "dog"], data.ClassNames);
        Assert.Equal(["b", "a", "c"], Enumerable.Range(0, 3).Select(data.Id));
        Assert.Equal([1, 2, 0], Enumerable.Range(0, 3).Select(data.SequenceClass));
        Assert.Equal([2f, 1f], data.Steps(0).ToArray());
    }

    [Fact]
    public void Numbered_classes_are_their_own_index_without_names()
    {
        var options = new CsvSequenceOptions { Targets = [ColumnRef.ByIndex(2)], Task = SequenceTask.Classify };
        SequenceDataset data = Read("0,0.5,3\n0,1.5,3\n1,2,0\n", options);
        Assert.Equal(SequenceTargetKind.SequenceClass, data.TargetKind);
        Assert.Null(data.ClassNames);
        Assert.Equal(4, data.ClassCount);
        Assert.Equal([3, 0], new[] { data.SequenceClass(0), data.SequenceClass(1) });
        Assert.Equal([0.5f, 1.5f], data.Steps(0).ToArray());
    }

    [Fact]
    public void Regression_targets_per_sequence_and_per_step()
    {
        var perSequence = Read("id,t,x,y\na,0,1,0.5\na,1,2,0.5\nb,0,3,1.25\n", Named("y"));
        Assert.Equal(SequenceTargetKind.SequenceValues, perSequence.TargetKind);
        Assert.Equal([0.5f], perSequence.TargetValues(0).ToArray());
        Assert.Equal([1.25f], perSequence.TargetValues(1).ToArray());

        var perStep = Read("id,t,x,y\na,0,1,0.5\na,1,2,0.75\nb,0,3,1.25\n", Named("y"));
        Assert.Equal(SequenceTargetKind.StepValues, perStep.TargetKind);
        Assert.Equal([0.5f, 0.75f], perStep.TargetValues(0).ToArray());

        var forced = Read("id,t,x,y\na,0,1,0.5\na,1,2,0.5\nb,0,3,1.25\n", Named("y", TargetPlacement.Step));
        Assert.Equal(SequenceTargetKind.StepValues, forced.TargetKind);
    }

    [Fact]
    public void Rfc4180_quoting_crlf_bom_and_a_trailing_empty_line_are_read()
    {
        string csv = "\uFEFF\"id\",t,\"x\",label\r\n\"a,1\",0,\"1.5\",\"say \"\"hi\"\"\"\r\n\"a,1\",1,2,\"two\r\nlines\"\r\nb,0,3e2,x\r\n\r\n";
        SequenceDataset data = Read(csv, Named(placement: TargetPlacement.Step));
        Assert.Equal("a,1", data.Id(0));
        Assert.Equal(["say \"hi\"", "two\r\nlines", "x"], data.ClassNames);
        Assert.Equal([1.5f, 2f], data.Steps(0).ToArray());
        Assert.Equal([300f], data.Steps(1).ToArray());
    }

    [Fact]
    public void Without_a_header_columns_are_chosen_by_index_and_features_default_to_the_rest()
    {
        var options = new CsvSequenceOptions { Id = ColumnRef.ByIndex(1), Targets = [ColumnRef.ByIndex(3)], Task = SequenceTask.Regress };
        SequenceDataset data = Read("1.5,a,2.5,7\n3.5,a,4.5,7\n", options);
        Assert.Equal(["column 0", "column 2"], data.FeatureNames);
        Assert.Equal([1.5f, 2.5f, 3.5f, 4.5f], data.Steps(0).ToArray());
    }

    [Theory]
    [InlineData("id,x\na,1\n", 1)]
    [InlineData("a,1\nb,2\n", 2)]
    public void A_header_is_detected_by_a_non_numeric_feature_field(string csv, int sequences)
    {
        Assert.Equal(sequences, Read(csv, new CsvSequenceOptions()).Count);
    }

    [Fact]
    public void An_explicit_header_option_overrides_detection()
    {
        SequenceDataset data = Read("0,1\na,2\n", new CsvSequenceOptions { Header = HeaderMode.Present });
        Assert.Equal(["1"], data.FeatureNames);
        Assert.Equal(1, data.Count);
    }

    [Fact]
    public void Data_without_targets_has_no_targets()
    {
        SequenceDataset data = Read("id,x\na,1\nb,2\n", new CsvSequenceOptions());
        Assert.Equal(SequenceTargetKind.None, data.TargetKind);
        Assert.Equal(0, data.TargetWidth);
    }

    [Fact]
    public void Missing_values_drop_rows_or_fill_forward_within_a_sequence_in_time_order()
    {
        const string Csv = "id,t,x,label\na,2,,p\na,0,1,p\na,1,2,\nb,0,5,q\nb,1,,q\n";
        SequenceDataset dropped = Read(Csv, Named(missing: MissingValuePolicy.Drop));
        Assert.Equal([1f], dropped.Steps(0).ToArray());
        Assert.Equal([5f], dropped.Steps(1).ToArray());

        SequenceDataset filled = Read(Csv, Named(missing: MissingValuePolicy.ForwardFill));
        Assert.Equal([1f, 2f, 2f], filled.Steps(0).ToArray());
        Assert.Equal([5f, 5f], filled.Steps(1).ToArray());
        Assert.Equal(SequenceTargetKind.SequenceClass, filled.TargetKind);
    }

    [Theory]
    [InlineData("id,t,x,label\na,0,1,p\na,1,,q\n", MissingValuePolicy.Error, "s.csv: line 3, column 'x' (index 2): expected a value, found an empty field (missing values: error by default; drop or ffill to accept them)")]
    [InlineData("id,t,x,label\na,1,1,p\na,0,,p\nb,0,1,q\n", MissingValuePolicy.ForwardFill, "s.csv: line 3, column 'x' (index 2): expected a value: sequence 'a' starts with an empty field, so forward fill has no earlier value in the sequence to carry")]
    [InlineData("id,t,x,label\na,0,,p\nb,0,,q\n", MissingValuePolicy.Drop, "s.csv: rows: expected at least one row without empty fields, found none (every row was dropped)")]
    public void Missing_value_errors_name_file_line_and_column(string csv, MissingValuePolicy policy, string message)
    {
        Assert.Equal(message, Fails(csv, Named(missing: policy)));
    }

    [Theory]
    [InlineData("id,t,x,label\na,0,1,p\na,1,2\n", "s.csv: line 3: expected 4 fields as on line 1, found 3")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,abc,q\n", "s.csv: line 3, column 'x' (index 2): expected a number, found 'abc'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,NaN,q\n", "s.csv: line 3, column 'x' (index 2): expected a finite number within float32 range, found 'NaN'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,-Infinity,q\n", "s.csv: line 3, column 'x' (index 2): expected a finite number within float32 range, found '-Infinity'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,1e39,q\n", "s.csv: line 3, column 'x' (index 2): expected a finite number within float32 range, found '1e39'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,\"1,5\",q\n", "s.csv: line 3, column 'x' (index 2): expected a number, found '1,5'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,2,p\n", "s.csv: target column 'label' (index 3): expected at least two classes, found only 'p'")]
    [InlineData("id,t,x,label\na,0,1,p\na,0,2,q\n", "s.csv: line 3, column 't' (index 1): expected each time once in sequence 'a', found the time of line 2 again")]
    [InlineData("id,t,x,label\na,0,1,p\n,1,2,q\n", "s.csv: line 3, column 'id' (index 0): expected a sequence id, found an empty field")]
    [InlineData("id,t,x,label\na,0,1,p\na,2020-01-01,2,q\n", "s.csv: line 3, column 't' (index 1): expected a number like the rows before, found '2020-01-01'")]
    [InlineData("id,t,x,label\na,soon,1,p\n", "s.csv: line 2, column 't' (index 1): expected a number or a date/time, found 'soon'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,2,\"q\"x\n", "s.csv: line 3: field 4: expected a comma or the end of the line after the closing quote, found 'x'")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,2,q\"\n", "s.csv: line 3: field 4: expected no quote inside an unquoted field (quote the whole field and double the quote)")]
    [InlineData("id,t,x,label\na,0,1,p\na,1,2,\"q\n", "s.csv: line 3: field 4: expected a closing quote, found the end of the file")]
    [InlineData("", "s.csv: line 1: expected a header or a data row, found an empty file")]
    [InlineData("id,t,x,label\n", "s.csv: rows: expected at least one data row, found none")]
    public void Bad_input_gets_one_line_naming_file_line_and_column(string csv, string message)
    {
        Assert.Equal(message, Fails(csv, Named()));
    }

    [Fact]
    public void Unknown_and_out_of_range_columns_are_named()
    {
        Assert.Equal("s.csv: target column: expected a column named 'label', found only 'id', 't', 'x', 'y'", Fails("id,t,x,y\na,0,1,2\n", Named()));
        Assert.Equal("s.csv: target column: expected an index from 0 to 2 (the file has 3 fields per row), found 5", Fails("a,1,2\n", new CsvSequenceOptions { Targets = [ColumnRef.ByIndex(5)] }));
        Assert.Equal("s.csv: columns: expected columns chosen by index, since the file has no header; found a column chosen by name", Fails("a,1\n", new CsvSequenceOptions { Header = HeaderMode.Absent, Targets = [ColumnRef.ByName("y")] }));
        Assert.Equal("s.csv: target column: expected a column not already used as the id, time, a target or a feature, found 'id' (index 0) again", Fails("id,x\na,1\n", new CsvSequenceOptions { Targets = [ColumnRef.ByName("id")] }));
    }

    [Fact]
    public void Whole_number_targets_need_a_task_and_a_changing_per_sequence_target_is_named()
    {
        Assert.Equal("s.csv: target column 'label' (index 3): expected classes or values, found only whole numbers, which could be either: choose the task (classify or regress)", Fails("id,t,x,label\na,0,1,1\nb,0,1,2\n", Named()));
        Assert.Equal("s.csv: line 3, column 'label' (index 3): expected the same target on every row of sequence 'a' (a per-sequence target), found 'q' after 'p' on line 2", Fails("id,t,x,label\na,0,1,p\na,1,1,q\n", Named(placement: TargetPlacement.Sequence)));
        Assert.Equal("s.csv: target columns: expected one target column for classes, found 2", Fails("id,x,a,b\ns,1,p,q\n", new CsvSequenceOptions { Targets = [ColumnRef.ByName("a"), ColumnRef.ByName("b")] }));
    }

    [Fact]
    public void A_file_over_the_memory_bound_is_refused_before_allocating_with_the_size_it_needs()
    {
        // 3 rows × (2×2 features + 2×1 class + id, line, order + time) × 4 bytes + 8-byte times = 3 × 44 = 132 bytes.
        string message = Fails("id,t,x,y,label\na,0,1,2,p\na,1,1,2,q\nb,0,1,2,p\n", Named(maxBytes: 100));
        Assert.Equal("s.csv: size: 3 rows of 2 features would need 132 bytes, more than the 100-byte limit", message);
    }

    [Fact]
    public void Fields_longer_than_a_decoded_block_are_read_whole_and_an_endless_record_is_refused()
    {
        string id = new('k', 100_000);
        SequenceDataset data = Read($"id,x\n{id},1\n{id},2\nb,3\n", new CsvSequenceOptions());
        Assert.Equal(id, data.Id(0));
        Assert.Equal([1f, 2f], data.Steps(0).ToArray());

        string endless = $"id,x\nb,3\n{new string('k', CsvRecordReader.MaxRecordChars)},1\n";
        Assert.Equal("s.csv: line 3: expected a record of at most 1,048,576 characters and separators, found a longer one", Fails(endless, new CsvSequenceOptions()));
        string commas = $"id,x\nb,3\n{new string(',', CsvRecordReader.MaxRecordChars)}\n";
        Assert.Equal("s.csv: line 3: expected a record of at most 1,048,576 characters and separators, found a longer one", Fails(commas, new CsvSequenceOptions()));
    }

    [Fact]
    public void Distinct_ids_count_against_the_memory_bound_while_reading()
    {
        string csv = "id,x\n" + string.Concat(Enumerable.Range(0, 100).Select(i => $"id{i},1\n"));
        var e = Assert.Throws<DataFormatException>(() => Read(csv, new CsvSequenceOptions { MaxBytes = 3000 }));
        Assert.StartsWith("s.csv: size: 100 rows of 1 features with ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("-byte limit", e.Message, StringComparison.Ordinal);
        Assert.Equal(100, Read(csv, new CsvSequenceOptions { MaxBytes = 20000 }).Count);
    }

    [Fact]
    public void Invalid_utf8_is_refused_with_its_line()
    {
        byte[] bytes = [.. "id,x\na,1\nb,"u8, 0xff, 0xfe, .. "\n"u8];
        var e = Assert.Throws<DataFormatException>(() => CsvSequenceReader.Read(bytes, "s.csv", new CsvSequenceOptions()));
        Assert.Equal("s.csv: line 3: expected UTF-8 text, found bytes that are not UTF-8", e.Message);

        // Far into a file, past the decoder's first block, the line is still exact.
        byte[] late = [.. Encoding.UTF8.GetBytes("id,x\n" + string.Concat(Enumerable.Repeat("a,1\n", 20000))), .. "b,"u8, 0xc3, 0x28, .. "\n"u8];
        e = Assert.Throws<DataFormatException>(() => CsvSequenceReader.Read(late, "s.csv", new CsvSequenceOptions()));
        Assert.Equal("s.csv: line 20002: expected UTF-8 text, found bytes that are not UTF-8", e.Message);
        Assert.Equal("\uFFFD", Read("id,x,label\na,1,\uFFFD\nb,2,y\n", new CsvSequenceOptions { Targets = [ColumnRef.ByName("label")] }).ClassNames![1]);
    }

    [Fact]
    public void Reads_a_file_from_disk_naming_it()
    {
        using var dir = new TestSupport.TempDirectory();
        string path = dir.File("seq.csv");
        File.WriteAllText(path, "id,x,label\na,1,p\nb,2,\n");
        var e = Assert.Throws<DataFormatException>(() => CsvSequenceReader.Read(path, new CsvSequenceOptions { Targets = [ColumnRef.ByName("label")] }));
        Assert.Equal(path + ": line 3, column 'label' (index 2): expected a value, found an empty field (missing values: error by default; drop or ffill to accept them)", e.Message);
    }
}
