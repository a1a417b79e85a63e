using EdgeLstm.Model;

namespace EdgeLstm.Benchmarks.Onnx;

/// <summary>
/// Writes an EdgeLstm model's weights as an ONNX model (opset 14), the graph <c>torch.onnx.export</c> makes of
/// <c>nn.LSTM(batch_first=True)</c> + <c>nn.Linear</c> + softmax: one ONNX <c>LSTM</c> node per layer.
/// </summary>
/// <remarks>
/// ONNX's LSTM orders the four gate blocks i, o, f, c where PyTorch (and EdgeLstm) order them i, f, g, o, so the rows
/// of W and R and both biases are reordered; B is [Wb, Rb] (bias_ih then bias_hh). Layout 0: X is [steps, batch, input],
/// Y [steps, 1, batch, H], Y_h and Y_c [1, batch, H]. Field numbers are those of onnx/onnx.proto.
/// </remarks>
internal static class OnnxModelBuilder
{
    public const string Input = "x";
    public const string Probabilities = "probabilities";

    private const int Opset = 14;
    private const int IrVersion = 8;
    private const int FloatType = 1;
    private const int Int64Type = 7;

    // PyTorch gate block (i, f, g, o) for each ONNX gate block (i, o, f, c).
    private static readonly int[] TorchBlockOfOnnxBlock = [0, 3, 1, 2];

    public static string HiddenIn(int layer) => $"h{layer}";

    public static string CellIn(int layer) => $"c{layer}";

    public static string HiddenOut(int layer) => $"h{layer}_next";

    public static string CellOut(int layer) => $"c{layer}_next";

    /// <summary>
    /// Whole sequences: input x [batch, steps, I] (EdgeLstm's layout; a Transpose node makes it ONNX's), output the class
    /// probabilities [batch, C] after the last step (layer L−1's Y_h: the last step's h).
    /// </summary>
    /// <param name="model">The weights.</param>
    /// <param name="gatesInTorchOrder">Writes the gate blocks unreordered: a wrong model, the negative control that shows the agreement check can fail.</param>
    public static byte[] Sequence(LstmModel model, bool gatesInTorchOrder = false)
    {
        var config = model.Config;
        var nodes = new List<Action<ProtoWriter>>
        {
            Node("Transpose", [Input], ["x_steps_first"], g => g.Message(5, a => IntsAttribute(a, "perm", [1, 0, 2]))),
        };
        string layerInput = "x_steps_first";
        for (int l = 0; l < config.Layers; l++)
        {
            bool last = l == config.Layers - 1;
            string[] outputs = last ? [string.Empty, $"y{l}_h"] : [$"y{l}"];
            nodes.Add(LstmNode(l, config.HiddenSize, [layerInput, $"W{l}", $"R{l}", $"B{l}"], outputs));
            if (!last)
            {
                // Y is [steps, 1, batch, H]: drop the direction axis to feed the next layer.
                nodes.Add(Node("Squeeze", [$"y{l}", "axis1"], [$"y{l}_seq"]));
                layerInput = $"y{l}_seq";
            }
        }

        nodes.Add(Node("Squeeze", [$"y{config.Layers - 1}_h", "axis0"], ["last_h"]));
        AddClassifier(nodes, "last_h");

        var inputs = new List<(string, object[])> { (Input, ["batch", "steps", config.InputSize]) };
        var outputs2 = new List<(string, object[])> { (Probabilities, ["batch", config.Classes]) };
        return Model(model, nodes, inputs, outputs2, ["axis0", "axis1"], gatesInTorchOrder);
    }

    /// <summary>
    /// One streaming step: input x [batch, I] and every layer's state h{l}, c{l} [1, batch, H]; outputs the class
    /// probabilities [batch, C] and every layer's next state h{l}_next, c{l}_next (the caller feeds them back).
    /// </summary>
    public static byte[] StreamingStep(LstmModel model)
    {
        var config = model.Config;
        var nodes = new List<Action<ProtoWriter>>
        {
            Node("Unsqueeze", [Input, "axis0"], ["x_step"]),
        };
        var inputs = new List<(string, object[])> { (Input, ["batch", config.InputSize]) };
        var outputs = new List<(string, object[])> { (Probabilities, ["batch", config.Classes]) };
        string layerInput = "x_step";
        for (int l = 0; l < config.Layers; l++)
        {
            // Y_h of a one-step sequence is [1, batch, H], which is also [steps = 1, batch, H]: the next layer's X.
            nodes.Add(LstmNode(l, config.HiddenSize, [layerInput, $"W{l}", $"R{l}", $"B{l}", string.Empty, HiddenIn(l), CellIn(l)], [string.Empty, HiddenOut(l), CellOut(l)]));
            inputs.Add((HiddenIn(l), [1, "batch", config.HiddenSize]));
            inputs.Add((CellIn(l), [1, "batch", config.HiddenSize]));
            outputs.Add((HiddenOut(l), [1, "batch", config.HiddenSize]));
            outputs.Add((CellOut(l), [1, "batch", config.HiddenSize]));
            layerInput = HiddenOut(l);
        }

        nodes.Add(Node("Squeeze", [HiddenOut(config.Layers - 1), "axis0"], ["last_h"]));
        AddClassifier(nodes, "last_h");
        return Model(model, nodes, inputs, outputs, ["axis0"], gatesInTorchOrder: false);
    }

    private static void AddClassifier(List<Action<ProtoWriter>> nodes, string hidden)
    {
        // Gemm with transB: logits = h · fc.weightᵀ + fc.bias, as nn.Linear.
        nodes.Add(Node("Gemm", [hidden, "fc_weight", "fc_bias"], ["logits"], n => n.Message(5, a => IntAttribute(a, "transB", 1))));
        nodes.Add(Node("Softmax", ["logits"], [Probabilities], n => n.Message(5, a => IntAttribute(a, "axis", 1))));
    }

    private static Action<ProtoWriter> LstmNode(int layer, int hidden, string[] inputs, string[] outputs) =>
        Node("LSTM", inputs, outputs, n => n.Message(5, a => IntAttribute(a, "hidden_size", hidden)), name: $"lstm{layer}");

    private static byte[] Model(LstmModel model, List<Action<ProtoWriter>> nodes, List<(string Name, object[] Dims)> inputs, List<(string Name, object[] Dims)> outputs, string[] axes, bool gatesInTorchOrder)
    {
        int[] order = gatesInTorchOrder ? [0, 1, 2, 3] : TorchBlockOfOnnxBlock;
        var config = model.Config;
        var w = new ProtoWriter();
        w.Int(1, IrVersion);
        w.String(2, "EdgeLstm.Benchmarks");
        w.Message(8, o => o.String(1, string.Empty).Int(2, Opset));
        w.Message(7, g =>
        {
            foreach (var node in nodes)
            {
                g.Message(1, node);
            }

            g.String(2, "edgelstm");
            int h = config.HiddenSize;
            for (int l = 0; l < config.Layers; l++)
            {
                int inputSize = config.LayerInputSize(l);
                g.Message(5, t => FloatTensor(t, $"W{l}", [1, 4 * h, inputSize], Reorder(model.TensorData($"lstm.weight_ih_l{l}"), h, inputSize, order)));
                g.Message(5, t => FloatTensor(t, $"R{l}", [1, 4 * h, h], Reorder(model.TensorData($"lstm.weight_hh_l{l}"), h, h, order)));
                float[] bias = [.. Reorder(model.TensorData($"lstm.bias_ih_l{l}"), h, 1, order), .. Reorder(model.TensorData($"lstm.bias_hh_l{l}"), h, 1, order)];
                g.Message(5, t => FloatTensor(t, $"B{l}", [1, 8 * h], bias));
            }

            g.Message(5, t => FloatTensor(t, "fc_weight", [config.Classes, h], model.TensorData("fc.weight").ToArray()));
            g.Message(5, t => FloatTensor(t, "fc_bias", [config.Classes], model.TensorData("fc.bias").ToArray()));
            foreach (string axis in axes)
            {
                g.Message(5, t => Int64Tensor(t, axis, [long.Parse(axis[^1..], System.Globalization.CultureInfo.InvariantCulture)]));
            }

            foreach (var (name, dims) in inputs)
            {
                g.Message(11, v => ValueInfo(v, name, dims));
            }

            foreach (var (name, dims) in outputs)
            {
                g.Message(12, v => ValueInfo(v, name, dims));
            }
        });
        return w.ToArray();
    }

    /// <summary>A [4H × columns] PyTorch-ordered matrix (or bias, columns = 1) with its gate blocks taken in <paramref name="order"/>.</summary>
    private static float[] Reorder(ReadOnlySpan<float> torch, int hidden, int columns, int[] order)
    {
        int block = hidden * columns;
        var onnx = new float[4 * block];
        for (int g = 0; g < 4; g++)
        {
            torch.Slice(order[g] * block, block).CopyTo(onnx.AsSpan(g * block));
        }

        return onnx;
    }

    private static Action<ProtoWriter> Node(string op, string[] inputs, string[] outputs, Action<ProtoWriter>? attributes = null, string? name = null) => n =>
    {
        foreach (string i in inputs)
        {
            n.String(1, i);
        }

        foreach (string o in outputs)
        {
            n.String(2, o);
        }

        n.String(3, name ?? $"{op}_{outputs[^1]}");
        n.String(4, op);
        attributes?.Invoke(n);
    };

    private static void IntAttribute(ProtoWriter a, string name, long value) => a.String(1, name).Int(20, 2).Int(3, value);

    private static void IntsAttribute(ProtoWriter a, string name, long[] values)
    {
        a.String(1, name).Int(20, 7);
        foreach (long v in values)
        {
            a.Int(8, v);
        }
    }

    private static void FloatTensor(ProtoWriter t, string name, long[] dims, ReadOnlySpan<float> values) =>
        t.PackedInts(1, dims).Int(2, FloatType).String(8, name).FloatsAsBytes(9, values);

    private static void Int64Tensor(ProtoWriter t, string name, long[] values) =>
        t.PackedInts(1, [values.Length]).Int(2, Int64Type).String(8, name).PackedInts(7, values);

    /// <summary>A float tensor's name, element type and shape; a string dimension is symbolic (dim_param).</summary>
    private static void ValueInfo(ProtoWriter v, string name, object[] dims) =>
        v.String(1, name).Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int(1, FloatType);
            tensor.Message(2, shape =>
            {
                foreach (object d in dims)
                {
                    shape.Message(1, dim => _ = d is string symbol ? dim.String(2, symbol) : dim.Int(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)));
                }
            });
        }));
}
