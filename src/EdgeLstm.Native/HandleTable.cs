namespace EdgeLstm.Native;

/// <summary>What a handle refers to; stored in its top byte, so a handle of one kind is refused as another.</summary>
internal enum HandleKind : byte
{
    Model = 0x4D,
    Session = 0x53,
    Trainer = 0x54,
}

/// <summary>
/// The objects C holds, by 64-bit handle: kind (8 bits) | generation of the slot (24 bits) | slot index + 1 (32 bits).
/// C never sees a pointer to a managed object. A freed slot's generation moves on, so its old handles are refused;
/// freed slots are reused oldest first, so a stale handle would need 2^24 reuses of its slot to match again.
/// </summary>
internal static class HandleTable
{
    private const uint GenerationMask = 0xFF_FFFF;
    private static readonly Lock Gate = new();
    private static readonly Queue<int> FreeSlots = new();
    private static Slot[] s_slots = new Slot[16];
    private static int s_used;
    private static volatile bool s_shutDown;

    /// <summary>Throws <see cref="Status.ShutDown"/> once <see cref="ShutDown"/> has run.</summary>
    public static void ThrowIfShutDown()
    {
        if (s_shutDown)
        {
            throw new NativeException(Status.ShutDown, "the library was shut down by edgelstm_shutdown; no call works after it");
        }
    }

    /// <summary>
    /// Refuses every handle from now on and returns the objects that were live, for the caller to release. Later calls
    /// return nothing.
    /// </summary>
    public static List<object> ShutDown()
    {
        lock (Gate)
        {
            var live = new List<object>();
            if (s_shutDown)
            {
                return live;
            }

            s_shutDown = true;
            for (int i = 0; i < s_used; i++)
            {
                if (s_slots[i].Target is { } target)
                {
                    live.Add(target);
                    s_slots[i].Target = null;
                }
            }

            return live;
        }
    }

    /// <summary>Stores <paramref name="target"/> and returns its handle (never 0).</summary>
    public static ulong Add(HandleKind kind, object target)
    {
        lock (Gate)
        {
            ThrowIfShutDown();
            if (!FreeSlots.TryDequeue(out int index))
            {
                if (s_used == s_slots.Length)
                {
                    if (s_slots.Length >= int.MaxValue / 2)
                    {
                        throw new OutOfMemoryException("The handle table is full.");
                    }

                    Array.Resize(ref s_slots, s_slots.Length * 2);
                }

                index = s_used++;
                s_slots[index].Generation = 1;
            }

            ref var slot = ref s_slots[index];
            slot.Target = target;
            slot.Kind = kind;
            return ((ulong)kind << 56) | ((ulong)slot.Generation << 32) | (uint)(index + 1);
        }
    }

    /// <summary>The object behind a live handle of kind <paramref name="kind"/>, or a <see cref="NativeException"/> saying what is wrong.</summary>
    public static T Get<T>(ulong handle, HandleKind kind)
        where T : class
    {
        lock (Gate)
        {
            return (T)Find(handle, kind).Target!;
        }
    }

    /// <summary>Removes a live handle; its slot's generation moves on, so the handle is refused from now on.</summary>
    public static void Remove(ulong handle, HandleKind kind)
    {
        lock (Gate)
        {
            ref var slot = ref Find(handle, kind);
            slot.Target = null;
            slot.Generation = (slot.Generation & GenerationMask) == GenerationMask ? 1 : slot.Generation + 1;
            FreeSlots.Enqueue((int)(uint)handle - 1);
        }
    }

    /// <summary>Live handles of <paramref name="kind"/>.</summary>
    public static int Count(HandleKind kind)
    {
        lock (Gate)
        {
            int count = 0;
            for (int i = 0; i < s_used; i++)
            {
                if (s_slots[i].Target is not null && s_slots[i].Kind == kind)
                {
                    count++;
                }
            }

            return count;
        }
    }

    private static ref Slot Find(ulong handle, HandleKind kind)
    {
        ThrowIfShutDown();
        string name = Name(kind);
        if (handle == 0)
        {
            throw new NativeException(Status.InvalidHandle, $"the {name} handle is 0 (never created, or the output of a failed call)");
        }

        var tag = (HandleKind)(handle >> 56);
        if (tag != kind)
        {
            string what = Enum.IsDefined(tag) ? $"a {Name(tag)} handle" : "not a handle of this library";
            throw new NativeException(Status.InvalidHandle, $"expected a {name} handle, got 0x{handle:X16}: {what}");
        }

        uint index = (uint)handle - 1;
        uint generation = (uint)(handle >> 32) & GenerationMask;
        if (index < (uint)s_used && s_slots[index].Target is not null && s_slots[index].Generation == generation && s_slots[index].Kind == kind)
        {
            return ref s_slots[index];
        }

        throw new NativeException(Status.InvalidHandle, $"the {name} handle 0x{handle:X16} is not live: it was freed already, or it never came from this library");
    }

    private static string Name(HandleKind kind) => kind switch
    {
        HandleKind.Model => "model",
        HandleKind.Session => "session",
        _ => "trainer",
    };

    private struct Slot
    {
        public object? Target;
        public uint Generation;
        public HandleKind Kind;
    }
}
