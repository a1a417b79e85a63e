using EdgeLstm.IO;
using EdgeLstm.Quantization;

namespace EdgeLstm.Tests.PyTorch;

/// <summary>
/// The int8 file the PyTorch module writes (<c>edgelstm_torch.save(model, path, quantize=True)</c>, fixture
/// <c>Fixtures/pytorch_int8_gru.safetensors</c> from <c>tools/pytorch/make_network_fixtures.py</c>) against EdgeLstm's
/// own quantiser on the same fp32 model (<c>pytorch_int8_gru.fp32.safetensors</c>): every int8 value and every scale
/// bit for bit, read through <see cref="Int8Tensors.Read"/>, the biases unchanged, and the contract's metadata. The
/// fp32 model has rows on rounding ties, rows of zeros and a row whose scale is subnormal.
/// </summary>
public sealed class PyTorchInt8FileTests
{
    [Fact]
    public void The_modules_int8_file_holds_what_int8_quantizer_computes_bit_for_bit()
    {
        var fp32 = ModelFile.Load(PyTorchNetworkFileTests.Fixture("pytorch_int8_gru.fp32.safetensors")).Model;
        var ours = Int8Weights.Quantize(fp32);
        using var reader = SafeTensorsReader.Open(PyTorchNetworkFileTests.Fixture("pytorch_int8_gru.safetensors"), SafeTensorsDTypes.F32 | SafeTensorsDTypes.I8);

        Assert.Equal("edgelstm", reader.Metadata[ModelFile.FormatKey]);
        Assert.Equal("3", reader.Metadata[ModelFile.FormatVersionKey]);
        Assert.Equal("model", reader.Metadata[ModelFile.KindKey]);
        Assert.Equal("int8", reader.Metadata["weight_dtype"]);
        Assert.Equal("symmetric_per_row", reader.Metadata["quantization"]);
        Assert.Equal("gru,gru", reader.Metadata[ModelFile.CellsKey]);
        Assert.Equal("classify_every_step", reader.Metadata[ModelFile.HeadKey]);

        var names = new HashSet<string>(StringComparer.Ordinal);
        int zeroRows = 0, subnormalRows = 0;
        foreach (var tensor in fp32.Tensors)
        {
            names.Add(tensor.Name);
            if (tensor.Shape.Length == 1)
            {
                var bias = new float[tensor.Length];
                Assert.Equal("F32", reader.Find(tensor.Name)!.DType);
                reader.ReadInto(reader.Find(tensor.Name)!, bias);
                Assert.Equal(fp32.TensorData(tensor).ToArray(), bias);
                continue;
            }

            names.Add(Int8Tensors.ScaleName(tensor.Name));
            var theirs = Int8Tensors.Read(reader, tensor.Name);
            var mine = ours.Int8Weights![tensor.Name];
            Assert.Equal(mine.Scales.ToArray(), theirs.Scales.ToArray());
            Assert.Equal(mine.Values.ToArray(), theirs.Values.ToArray());
            zeroRows += mine.Scales.ToArray().Count(s => s == 0);
            subnormalRows += mine.Scales.ToArray().Count(s => s > 0 && float.IsSubnormal(s));
        }

        // Nothing else is in the file, and the hard cases really are there.
        Assert.Equal(names.Order(StringComparer.Ordinal), reader.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(3, zeroRows);
        Assert.Equal(1, subnormalRows);
        Assert.True(RowsWhereDividingDisagrees(fp32, ours) > 0, "the fixture must hold values where the rounding rule matters");
    }

    /// <summary>Values where round(w / scale) differs from the stored q: the ties, where multiplying by the reciprocal decides.</summary>
    private static int RowsWhereDividingDisagrees(EdgeLstm.Model.LstmModel fp32, EdgeLstm.Model.LstmModel quantised)
    {
        var tensor = fp32.Tensors.Single(t => t.Name == "gru.weight_hh_l0");
        var w = fp32.TensorData(tensor);
        var m = quantised.Int8Weights!["gru.weight_hh_l0"];
        int cols = m.Cols, disagree = 0;
        for (int i = 0; i < m.Rows; i++)
        {
            for (int j = 0; j < cols && m.Scales[i] > 0; j++)
            {
                disagree += MathF.Round(w[(i * cols) + j] / m.Scales[i], MidpointRounding.ToEven) != m.Values[(i * cols) + j] ? 1 : 0;
            }
        }

        return disagree;
    }
}
