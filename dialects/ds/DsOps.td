//===- DsOps.td - all ops of the ds dialect ----------------------*- td -*-===//

#ifndef DS_OPS_TD
#define DS_OPS_TD

include "dialects/ds/DsElementwiseOps.td"
include "dialects/ds/DsShapeOps.td"
include "dialects/ds/DsModelOps.td"
include "dialects/ds/DsControlOps.td"
include "dialects/ds/DsParallelOps.td"

#endif // DS_OPS_TD
