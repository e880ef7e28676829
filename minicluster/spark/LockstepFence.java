// The Spark Thrift Server's half of a planned switchover's fence: while the identity in
// the site's own ZooKeeper says "fenced", every statement that would change data or
// metadata is refused, as the embedded WebHDFS refuses application writes. Reads (queries,
// SHOW, DESCRIBE, SET) still run: the console reads the tables' metadata for the final
// round. On a real cluster a Ranger deny policy on Hive does this.
//
// Registered with spark.sql.extensions=lockstep.LockstepFence; the ZooKeeper comes from
// the driver's system property lockstep.zookeeper, so that the watch starts with the
// server's own session, before any client connects. Compiled by minicluster/services.py.
package lockstep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import scala.Function1;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

public final class LockstepFence extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
    static final String IDENTITY = "/lockstep/identity";
    // Commands that only read: everything else a statement's plan is rooted in is a write.
    static final Set<String> READING = Set.of(
            "SetCommand", "ResetCommand", "SetCatalogAndNamespace", "SetCatalogCommand",
            "SetNamespaceCommand", "ExplainCommand", "RefreshTableCommand", "RefreshTable",
            "CacheTableCommand", "UncacheTableCommand", "ClearCacheCommand", "CacheTable",
            "CacheTableAsSelect", "UncacheTable", "ClearCache");
    static final Watcher WATCHER = new Watcher();

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        WATCHER.start(System.getProperty("lockstep.zookeeper", ""));
        extensions.injectCheckRule(new AbstractFunction1<SparkSession, Function1<LogicalPlan, BoxedUnit>>() {
            @Override
            public Function1<LogicalPlan, BoxedUnit> apply(SparkSession session) {
                return new Rule();
            }
        });
        return BoxedUnit.UNIT;
    }

    static boolean writes(LogicalPlan plan) {
        if (!(plan instanceof Command)) {
            return false;
        }
        String name = plan.getClass().getSimpleName();
        return !(name.startsWith("Show") || name.startsWith("Describe") || READING.contains(name));
    }

    static final class Rule extends AbstractFunction1<LogicalPlan, BoxedUnit> {
        @Override
        public BoxedUnit apply(LogicalPlan plan) {
            if (WATCHER.fenced && writes(plan)) {
                throw new IllegalStateException(
                        "Writes are fenced on this cluster for a planned switchover (epoch "
                        + WATCHER.epoch + "): it is about to become the secondary; write to "
                        + "the new primary once the switchover is done");
            }
            return BoxedUnit.UNIT;
        }
    }

    // Reads the identity every POLL_MS on a thread of its own. Until the ZooKeeper
    // answers, nothing is fenced: the server serves its applications when ZooKeeper is
    // late; a fence is written seconds before the final round's snapshot.
    static final class Watcher implements Runnable {
        static final long POLL_MS = 200;
        volatile boolean fenced;
        volatile long epoch;
        private String hosts = "";
        private Thread thread;
        private final ObjectMapper json = new ObjectMapper();

        synchronized void start(String zookeeper) {
            if (thread != null || zookeeper.isEmpty()) {
                return;
            }
            hosts = zookeeper;
            thread = new Thread(this, "lockstep-fence");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            ZooKeeper client = null;
            while (true) {
                try {
                    if (client == null || !client.getState().isAlive()) {
                        if (client != null) {
                            client.close();
                        }
                        client = new ZooKeeper(hosts, 10000, event -> { });
                    }
                    read(client);
                } catch (KeeperException.ConnectionLossException e) {
                    // Still connecting, or the server is down: the last answer stands.
                } catch (Exception e) {
                    System.err.println("lockstep-fence: " + e);
                }
                try {
                    Thread.sleep(POLL_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void read(ZooKeeper client) throws Exception {
            byte[] data;
            try {
                data = client.getData(IDENTITY, false, null);
            } catch (KeeperException.NoNodeException e) {
                data = null;
            }
            JsonNode identity = data == null ? null : json.readTree(data);
            boolean now = identity != null && identity.path("fenced").asBoolean(false);
            epoch = identity == null ? 0 : identity.path("epoch").asLong(0);
            if (now != fenced) {
                System.err.println("lockstep-fence: writes " + (now ? "fenced" : "allowed"));
            }
            fenced = now;
        }
    }
}
